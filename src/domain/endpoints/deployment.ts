/**
 * Deployment guardrails: what UpdateEndpoint's `DeploymentConfig` asks for, checked and
 * turned into a plan the endpoint controller follows (the controller does the work: see
 * `EndpointController.deploy`). Pure: no I/O, no clock.
 *
 * As the SageMaker developer guide ("Deployment guardrails") describes them:
 * - `BlueGreenUpdatePolicy`: the whole new (green) fleet starts beside the old (blue) one,
 *   then traffic moves per `TrafficRoutingConfiguration`: `ALL_AT_ONCE` (one step, then a
 *   baking period of `WaitIntervalInSeconds`), `CANARY` (`CanarySize` of the green fleet takes
 *   that share of the traffic and bakes, then all traffic moves and bakes again), `LINEAR`
 *   (`LinearStepSize` more of the traffic per step, each step baked). After the last bake the
 *   blue fleet keeps running, without traffic, for `TerminationWaitInSeconds`, then stops.
 * - `RollingUpdatePolicy` (one variant only): `MaximumBatchSize` new instances start, take
 *   their share of the traffic and bake, then as many old instances stop; repeated until the
 *   new fleet is complete. A rollback starts the old instances again,
 *   `RollbackMaximumBatchSize` at a time (default: all at once).
 * - `MaximumExecutionTimeoutInSeconds` (either policy): the deployment is rolled back when it
 *   has not finished that long after UpdateEndpoint.
 * - `AutoRollbackConfiguration.Alarms`: Slipway has no CloudWatch, so alarms are accepted,
 *   stored and returned in `LastDeploymentConfig`, and never fire. What does roll a
 *   deployment back here: a new instance that never gets healthy, a new instance that exits
 *   (crashes) during a baking period or the termination wait, and the execution timeout.
 *
 * AWS's wording for refused combinations is not public; the messages below are Slipway's,
 * with AWS's code (ValidationException) and the limits AWS documents (CanarySize at most 50 %
 * of the variant's instance count, LinearStepSize 10–50 %, MaximumBatchSize 5–50 %, rolling
 * deployments neither for multi-variant nor for serverless endpoints, the same variant names
 * as the current configuration, "only one update policy", and a MaximumExecutionTimeout
 * larger than TerminationWaitInSeconds plus WaitIntervalInSeconds).
 */
import { validation } from '../../errors.js';

export interface CapacitySize {
  Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT';
  Value: number;
}

export interface TrafficRoutingConfig {
  Type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
  WaitIntervalInSeconds: number;
  CanarySize?: CapacitySize;
  LinearStepSize?: CapacitySize;
}

export interface BlueGreenUpdatePolicy {
  TrafficRoutingConfiguration: TrafficRoutingConfig;
  TerminationWaitInSeconds?: number;
  MaximumExecutionTimeoutInSeconds?: number;
}

export interface RollingUpdatePolicy {
  MaximumBatchSize: CapacitySize;
  WaitIntervalInSeconds: number;
  MaximumExecutionTimeoutInSeconds?: number;
  RollbackMaximumBatchSize?: CapacitySize;
}

export interface DeploymentConfig {
  BlueGreenUpdatePolicy?: BlueGreenUpdatePolicy;
  RollingUpdatePolicy?: RollingUpdatePolicy;
  AutoRollbackConfiguration?: { Alarms?: Array<{ AlarmName?: string }> };
}

/** One production variant as the checks and plans see it. */
export interface FleetVariant {
  VariantName: string;
  DesiredInstanceCount: number;
  /** A serverless variant (ServerlessConfig in the endpoint configuration). */
  serverless?: boolean;
}

/** Where a deployment is, recorded with the pending deployment (DescribeEndpoint reads it). */
export type DeploymentPhase = 'Creating' | 'ActivatingTraffic' | 'Baking' | 'TerminationWait';

export interface DeploymentProgress {
  /** `ALL_AT_ONCE` | `CANARY` | `LINEAR` (blue/green) or `ROLLING`. */
  strategy: TrafficRoutingConfig['Type'] | 'ROLLING';
  phase: DeploymentPhase;
  /** Epoch seconds when the phase began. */
  since: number;
  message: string;
  /** Per variant: instances of the old and new fleets in routing, and the new fleet's share of traffic (0–1). */
  variants: Record<string, { blue: number; green: number; share: number }>;
}

/** The update policy that applies, if any (without one, UpdateEndpoint is blue/green, all at once, with no baking period). */
export function updatePolicy(dc: unknown): { blueGreen: BlueGreenUpdatePolicy } | { rolling: RollingUpdatePolicy } | undefined {
  const c = dc as DeploymentConfig | undefined;
  if (c?.BlueGreenUpdatePolicy) return { blueGreen: c.BlueGreenUpdatePolicy };
  if (c?.RollingUpdatePolicy) return { rolling: c.RollingUpdatePolicy };
  return undefined;
}

const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;

/** A capacity as a fraction (0–1) of a fleet of `count` instances. */
export function fraction(size: CapacitySize, count: number): number {
  return size.Type === 'CAPACITY_PERCENT' ? size.Value / 100 : size.Value / Math.max(1, count);
}

/** A capacity as a number of instances (at least 1, at most the fleet): batches of a rolling deployment. */
export function instances(size: CapacitySize | undefined, count: number): number {
  if (!size) return count;
  const n = size.Type === 'CAPACITY_PERCENT' ? Math.floor((count * size.Value) / 100) : size.Value;
  return Math.max(1, Math.min(count, n));
}

function checkRange(member: string, size: CapacitySize, v: FleetVariant, min: number, max: number): void {
  const f = fraction(size, v.DesiredInstanceCount);
  if (f < min - 1e-9 || f > max + 1e-9) {
    const what = size.Type === 'CAPACITY_PERCENT' ? `${size.Value}%` : `${size.Value} instance${size.Value === 1 ? '' : 's'} (${pct(f)})`;
    const range = min > 0 ? `between ${pct(min)} and ${pct(max)}` : `at most ${pct(max)}`;
    throw validation(`${member} ${what} must be ${range} of the instance count of variant ${v.VariantName} (${v.DesiredInstanceCount}).`);
  }
}

/**
 * Refuses what AWS refuses. Without `fleet` (CreateEndpoint, where the config is only stored
 * for later updates) only the shape of the config is checked; with it (UpdateEndpoint) also
 * the sizes against the new fleet and the variant names against the current one.
 */
export function checkDeploymentConfig(
  dc: DeploymentConfig | undefined,
  fleet?: { next: FleetVariant[]; currentNames: string[]; configArn: string },
): void {
  if (!dc) return;
  const bg = dc.BlueGreenUpdatePolicy;
  const rolling = dc.RollingUpdatePolicy;
  // API reference, DeploymentConfig: "Only one update policy should be used in the deployment configuration."
  if (bg && rolling) throw validation('DeploymentConfig can have either BlueGreenUpdatePolicy or RollingUpdatePolicy, not both.');
  let waits = 0;
  let terminationWait = 0;
  let timeout: number | undefined;
  if (bg) {
    const t = bg.TrafficRoutingConfiguration;
    if (t.Type === 'CANARY' && !t.CanarySize) throw validation('CanarySize must be specified when the TrafficRoutingConfiguration Type is CANARY.');
    if (t.Type === 'LINEAR' && !t.LinearStepSize) throw validation('LinearStepSize must be specified when the TrafficRoutingConfiguration Type is LINEAR.');
    if (t.Type === 'CANARY' && t.CanarySize!.Type === 'CAPACITY_PERCENT' && t.CanarySize!.Value > 50) {
      throw validation(`CanarySize ${t.CanarySize!.Value}% must be at most 50% of the new fleet.`);
    }
    if (t.Type === 'LINEAR' && t.LinearStepSize!.Type === 'CAPACITY_PERCENT' && (t.LinearStepSize!.Value < 10 || t.LinearStepSize!.Value > 50)) {
      throw validation(`LinearStepSize ${t.LinearStepSize!.Value}% must be between 10% and 50% of the new fleet.`);
    }
    waits = t.WaitIntervalInSeconds;
    terminationWait = bg.TerminationWaitInSeconds ?? 0;
    timeout = bg.MaximumExecutionTimeoutInSeconds;
  }
  if (rolling) {
    const b = rolling.MaximumBatchSize;
    if (b.Type === 'CAPACITY_PERCENT' && (b.Value < 5 || b.Value > 50)) throw validation(`MaximumBatchSize ${b.Value}% must be between 5% and 50% of the fleet.`);
    const rb = rolling.RollbackMaximumBatchSize;
    if (rb?.Type === 'CAPACITY_PERCENT' && rb.Value > 100) throw validation(`RollbackMaximumBatchSize ${rb.Value}% must be at most 100% of the fleet.`);
    waits = rolling.WaitIntervalInSeconds;
    timeout = rolling.MaximumExecutionTimeoutInSeconds;
  }
  // BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds: "the timeout value should be larger
  // than the total waiting time specified in TerminationWaitInSeconds and WaitIntervalInSeconds".
  if (timeout !== undefined && timeout <= waits + terminationWait) {
    throw validation(
      `MaximumExecutionTimeoutInSeconds (${timeout}) must be larger than the total waiting time of TerminationWaitInSeconds and WaitIntervalInSeconds (${waits + terminationWait}).`,
    );
  }
  if (!fleet || (!bg && !rolling)) return;
  // Developer guide, "Exclusions": the new endpoint configuration must have the same variant names.
  const next = fleet.next.map((v) => v.VariantName).sort();
  const cur = [...fleet.currentNames].sort();
  if (next.length !== cur.length || next.some((n, i) => n !== cur[i])) {
    throw validation(
      `A deployment with ${bg ? 'BlueGreenUpdatePolicy' : 'RollingUpdatePolicy'} needs the same production variant names in the new endpoint configuration "${fleet.configArn}" (${next.join(', ')}) as in the current one (${cur.join(', ')}).`,
    );
  }
  if (rolling) {
    // Developer guide, "Exclusions": no rolling deployments for multi-variant or serverless endpoints.
    if (fleet.next.length > 1) throw validation('RollingUpdatePolicy is not supported for endpoints with more than one production variant.');
    if (fleet.next.some((v) => v.serverless)) throw validation('RollingUpdatePolicy is not supported for serverless endpoints.');
    for (const v of fleet.next) checkRange('MaximumBatchSize', rolling.MaximumBatchSize, v, 0.05, 0.5);
  }
  if (bg) {
    const t = bg.TrafficRoutingConfiguration;
    for (const v of fleet.next) {
      if (t.Type === 'CANARY') checkRange('CanarySize', t.CanarySize!, v, 0, 0.5);
      if (t.Type === 'LINEAR') checkRange('LinearStepSize', t.LinearStepSize!, v, 0.1, 0.5);
    }
  }
}

/** One traffic step of a blue/green deployment: the green share per variant, then a baking period. */
export interface TrafficStep {
  shares: Record<string, number>;
  bakeSeconds: number;
  label: string;
}

/** The traffic steps of a blue/green deployment over the new fleet's variants (the last step is always 100 %). */
export function trafficSteps(t: TrafficRoutingConfig, variants: FleetVariant[]): TrafficStep[] {
  const all = (share: (v: FleetVariant) => number) => Object.fromEntries(variants.map((v) => [v.VariantName, Math.min(1, share(v))]));
  const full: TrafficStep = { shares: all(() => 1), bakeSeconds: t.WaitIntervalInSeconds, label: 'all traffic on the new fleet' };
  if (t.Type === 'CANARY') {
    const size = t.CanarySize!;
    const shares = all((v) => fraction(size, v.DesiredInstanceCount));
    return [{ shares, bakeSeconds: t.WaitIntervalInSeconds, label: `canary: ${describeShares(shares)} of traffic on the new fleet` }, { ...full, label: `final step: ${full.label}` }];
  }
  if (t.Type === 'LINEAR') {
    const size = t.LinearStepSize!;
    const stepsOf = (v: FleetVariant) => Math.ceil(1 / fraction(size, v.DesiredInstanceCount) - 1e-9);
    const n = Math.max(...variants.map(stepsOf));
    return Array.from({ length: n }, (_, k) => {
      // (k + 1) × Value / base, computed from integers so ten 10 % steps end at exactly 1.
      const shares = all((v) => (size.Type === 'CAPACITY_PERCENT' ? ((k + 1) * size.Value) / 100 : ((k + 1) * size.Value) / Math.max(1, v.DesiredInstanceCount)));
      return { shares, bakeSeconds: t.WaitIntervalInSeconds, label: `linear step ${k + 1} of ${n}: ${describeShares(shares)} of traffic on the new fleet` };
    });
  }
  return [full];
}

function describeShares(shares: Record<string, number>): string {
  const values = [...new Set(Object.values(shares))];
  if (values.length === 1) return pct(values[0]!);
  return Object.entries(shares)
    .map(([n, s]) => `${n} ${pct(s)}`)
    .join(', ');
}

/** Epoch milliseconds by which the deployment must have finished, if it has a limit. */
export function deadlineOf(startTimeSeconds: number, policy: { MaximumExecutionTimeoutInSeconds?: number }): number | undefined {
  const t = policy.MaximumExecutionTimeoutInSeconds;
  return t === undefined ? undefined : startTimeSeconds * 1000 + t * 1000;
}

/**
 * DescribeEndpoint during a guarded deployment: the old variants report their instances in
 * routing (and `Deleting` during the termination wait), the pending ones their started
 * instances, the weight they now carry (DesiredWeight × share) and the phase as VariantStatus
 * (`Creating`, `ActivatingTraffic`, `Baking`, with the step in StatusMessage and its StartTime).
 */
export function renderProgress(out: Record<string, any>, progress: DeploymentProgress): void {
  const status = { StatusMessage: progress.message, StartTime: progress.since };
  for (const v of (out.ProductionVariants ?? []) as Array<Record<string, any>>) {
    const p = progress.variants[v.VariantName];
    if (!p) continue;
    v.CurrentInstanceCount = p.blue;
    v.VariantStatus = progress.phase === 'TerminationWait' ? [{ Status: 'Deleting', ...status }] : [{ Status: 'Updating', ...status }];
  }
  for (const v of (out.PendingDeploymentSummary?.ProductionVariants ?? []) as Array<Record<string, any>>) {
    const p = progress.variants[v.VariantName];
    if (!p) continue;
    v.CurrentInstanceCount = p.green;
    v.CurrentWeight = Math.round(v.DesiredWeight * p.share * 1e6) / 1e6;
    v.VariantStatus = progress.phase === 'TerminationWait' ? [] : [{ Status: progress.phase, ...status }];
  }
}
