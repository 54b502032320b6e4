import type { Operation } from '../context.js';
import { getModel, modelMetadata, seconds } from './common.js';

export const DescribeModel: Operation<{ ProjectName: string; ModelVersion: string }> = async (ctx, input) => {
  const m = await getModel(ctx, input.ProjectName, input.ModelVersion);
  return {
    ModelDescription: {
      ...modelMetadata(m),
      OutputConfig: m.data.outputConfig,
      EvaluationManifest: m.data.evaluationManifest,
      EvaluationResult: m.data.evaluationResult,
      EvaluationEndTimestamp: seconds(m.data.evaluationEnd),
      KmsKeyId: m.data.kmsKeyId,
      MinInferenceUnits: m.data.minInferenceUnits,
      MaxInferenceUnits: m.data.maxInferenceUnits,
    },
  };
};
