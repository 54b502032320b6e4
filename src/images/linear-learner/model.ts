/** The linear learner's model file (`model.json` in model.tar.gz) and its scoring rule. */
export interface LinearModel {
  format: 'slipway-linear-learner/1';
  predictor_type: 'regressor' | 'binary_classifier';
  features: number;
  weights: number[];
  bias: number;
  mean: number[];
  std: number[];
  epochs_completed: number;
}

/** The model's raw score for one row: a value (regressor) or a probability (classifier). */
export function score(m: LinearModel, x: number[]): number {
  let z = m.bias;
  for (let i = 0; i < m.features; i++) z += m.weights[i]! * (((x[i] ?? 0) - m.mean[i]!) / m.std[i]!);
  return m.predictor_type === 'binary_classifier' ? 1 / (1 + Math.exp(-z)) : z;
}


const NUMBER = '([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)';

/**
 * The metrics this algorithm publishes. As for AWS's built-in algorithms, a job that gives no
 * MetricDefinitions gets these (DescribeTrainingJob then shows them), matching the
 * `#quality_metric` lines it logs each epoch.
 */
export const LINEAR_LEARNER_METRICS = ['train', 'validation'].flatMap((channel) =>
  ['mse', 'binary_log_loss'].map((loss) => ({ Name: `${channel}:${loss}`, Regex: `#quality_metric: .*${channel} ${loss} <loss>=${NUMBER}` })),
);
