/**
 * The traffic router of an endpoint: which production variant, then which instance of it,
 * answers one invocation. Pure (no I/O, no clock): the controller keeps the state and the
 * tests drive it directly.
 *
 * - Variants: each receives `weight / sum(weights)` of the traffic (the SageMaker developer
 *   guide, "production variants": "the traffic to each variant is its weight divided by the
 *   sum of all weights"); a variant of weight 0 receives nothing. The choice is a smooth
 *   weighted round-robin (the nginx algorithm) rather than a coin toss: over any window the
 *   split is exact to within one request, interleaved rather than in bursts, so a 2:1
 *   endpoint really answers 2:1 even over a few hundred calls.
 * - `TargetVariant` overrides the weights (InvokeEndpoint API reference: "Specify the
 *   production variant to send the inference request to"), even a variant of weight 0.
 * - Instances: least outstanding requests among the healthy ones (SageMaker's
 *   `RoutingStrategy: LEAST_OUTSTANDING_REQUESTS`); ties rotate so idle instances share.
 * - Deployments (UpdateEndpoint with a DeploymentConfig): while traffic shifts, a variant
 *   carries its new (green) fleet beside the old (blue) instances, and `shift.share` of the
 *   variant's calls go to green — exactly that share over any window, evenly spread (error
 *   diffusion). A side without a healthy instance gives its calls to the other, so a
 *   crashing canary or a stopped blue instance never fails a call while the other answers.
 */

export interface RouteInstance {
  readonly id: string;
  /** Requests sent to it and not yet answered. */
  outstanding: number;
  /** Answered GET /ping and has not crashed since; only healthy instances get traffic. */
  healthy: boolean;
}

/** A variant's new (green) fleet while a deployment moves the variant's traffic to it. */
export interface RouteShift<I extends RouteInstance = RouteInstance> {
  instances: I[];
  /** Share (0–1) of the variant's calls that go to `instances`; the rest go to the variant's own (blue) instances. */
  share: number;
  /** Error-diffusion accumulator (starts at 0). */
  acc: number;
}

export interface RouteVariant<I extends RouteInstance = RouteInstance> {
  readonly name: string;
  weight: number;
  instances: I[];
  /** Smooth weighted round-robin state (starts at 0). */
  current: number;
  /** Set while a deployment shifts this variant's traffic to a new fleet. */
  shift?: RouteShift<I> | undefined;
}

export type RouteResult<I extends RouteInstance> =
  | { ok: true; variant: RouteVariant<I>; instance: I }
  /** `no-variant`: TargetVariant names no variant; `no-traffic`: every weight is 0; `no-instance`: nothing healthy. */
  | { ok: false; reason: 'no-variant' | 'no-traffic' | 'no-instance' };

const anyHealthy = (list: RouteInstance[]) => list.some((i) => i.healthy);
const hasHealthy = (v: RouteVariant) => anyHealthy(v.instances) || (v.shift !== undefined && anyHealthy(v.shift.instances));

/**
 * Smooth weighted round-robin over the variants that can take traffic (weight > 0 and at
 * least one healthy instance): every candidate gains its weight, the largest wins and pays
 * back the total. A variant without a healthy instance is skipped, so its share goes to the
 * others rather than failing calls, and it rejoins with its weight once healthy.
 */
export function chooseVariant<I extends RouteInstance>(variants: RouteVariant<I>[]): RouteVariant<I> | undefined {
  let total = 0;
  let best: RouteVariant<I> | undefined;
  for (const v of variants) {
    if (!(v.weight > 0) || !hasHealthy(v)) continue;
    v.current += v.weight;
    total += v.weight;
    if (!best || v.current > best.current) best = v;
  }
  if (best) best.current -= total;
  return best;
}

/** Least outstanding requests among healthy instances; among equals, the first after `rotation`. */
export function chooseInstance<I extends RouteInstance>(instances: I[], rotation = 0): I | undefined {
  let best: I | undefined;
  const n = instances.length;
  for (let k = 0; k < n; k++) {
    const i = instances[(k + rotation) % n]!;
    if (!i.healthy) continue;
    if (!best || i.outstanding < best.outstanding) best = i;
  }
  return best;
}

/**
 * Which of a variant's fleets answers the next call: the preferred one first, the other as
 * the fallback. Without a deployment in progress that is just the variant's instances.
 * Every call adds `share` to the accumulator and each full 1 sends one call to green, so
 * 25 % is exactly every fourth call.
 */
export function chooseFleet<I extends RouteInstance>(v: RouteVariant<I>): [I[], I[]] {
  const s = v.shift;
  if (!s) return [v.instances, []];
  s.acc += Math.min(1, Math.max(0, s.share));
  // The epsilon absorbs float drift (ten steps of 0.1 must make exactly one call).
  if (s.acc >= 1 - 1e-9) {
    s.acc -= 1;
    return [s.instances, v.instances];
  }
  return [v.instances, s.instances];
}

/** One routing decision: TargetVariant if given, else the weighted choice; then the fleet (during a deployment) and the instance. */
export function route<I extends RouteInstance>(
  variants: RouteVariant<I>[],
  opts: { targetVariant?: string; rotation?: number; exclude?: ReadonlySet<string> } = {},
): RouteResult<I> {
  let variant: RouteVariant<I> | undefined;
  if (opts.targetVariant !== undefined) {
    variant = variants.find((v) => v.name === opts.targetVariant);
    if (!variant) return { ok: false, reason: 'no-variant' };
  } else {
    if (!variants.some((v) => v.weight > 0)) return { ok: false, reason: 'no-traffic' };
    variant = chooseVariant(variants);
    if (!variant) return { ok: false, reason: 'no-instance' };
  }
  // The hot path (no deployment in progress) does no more work than before.
  let instance: I | undefined;
  if (!variant.shift) instance = pickFrom(variant.instances, opts.exclude, opts.rotation);
  else {
    const [first, second] = chooseFleet(variant);
    instance = pickFrom(first, opts.exclude, opts.rotation) ?? pickFrom(second, opts.exclude, opts.rotation);
  }
  return instance ? { ok: true, variant, instance } : { ok: false, reason: 'no-instance' };
}

function pickFrom<I extends RouteInstance>(fleet: I[], exclude: ReadonlySet<string> | undefined, rotation: number | undefined): I | undefined {
  return chooseInstance(exclude?.size ? fleet.filter((i) => !exclude.has(i.id)) : fleet, rotation);
}
