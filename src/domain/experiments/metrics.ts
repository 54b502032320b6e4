/**
 * Live comparison metrics of a shadow test, per variant: invocations, errors, latency
 * percentiles, and how often the shadow's answer agrees with production's for the same
 * request. SageMaker shows the same comparison in its shadow-test dashboard (invocation and
 * latency metrics of both variants side by side); Slipway computes it in memory and serves
 * it at `GET /_slipway/inference-experiments/<name>/metrics`.
 *
 * Memory is bounded: latency percentiles come from the most recent LATENCY_WINDOW samples
 * per variant (a ring), counters are plain numbers.
 */

const LATENCY_WINDOW = 10_000;

export interface VariantMetrics {
  VariantName: string;
  Role: 'Production' | 'Shadow';
  Invocations: number;
  Errors: number;
  /** Milliseconds, over the most recent invocations (see LATENCY_WINDOW). */
  LatencyMs: { p50: number | null; p90: number | null; p99: number | null };
}

export interface Metrics {
  Variants: VariantMetrics[];
  Comparison: {
    /** Pairs where both variants answered successfully. */
    Compared: number;
    Agreements: number;
    /** Agreements / Compared; null before the first comparable pair. */
    AgreementRate: number | null;
  };
  /** Copies not sent because too many shadow calls were already outstanding (the shadow is slower than the traffic). */
  ShadowDropped: number;
}

class VariantStats {
  invocations = 0;
  errors = 0;
  private readonly ring = new Float64Array(LATENCY_WINDOW);
  private filled = 0;
  private next = 0;
  constructor(
    readonly name: string,
    readonly role: 'Production' | 'Shadow',
  ) {}

  add(latencyMs: number, ok: boolean): void {
    this.invocations++;
    if (!ok) this.errors++;
    this.ring[this.next] = latencyMs;
    this.next = (this.next + 1) % LATENCY_WINDOW;
    if (this.filled < LATENCY_WINDOW) this.filled++;
  }

  snapshot(): VariantMetrics {
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    // Nearest-rank percentile, rounded to 0.01 ms.
    const pct = (p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 100) / 100 : null);
    return {
      VariantName: this.name,
      Role: this.role,
      Invocations: this.invocations,
      Errors: this.errors,
      LatencyMs: { p50: pct(50), p90: pct(90), p99: pct(99) },
    };
  }
}

export class ExperimentMetrics {
  readonly production: VariantStats;
  readonly shadow: VariantStats;
  compared = 0;
  agreements = 0;
  dropped = 0;

  constructor(productionName: string, shadowName: string) {
    this.production = new VariantStats(productionName, 'Production');
    this.shadow = new VariantStats(shadowName, 'Shadow');
  }

  /** Both answered: do they agree? */
  compare(a: { body: Buffer; contentType?: string }, b: { body: Buffer; contentType?: string }): boolean {
    const same = outputsAgree(a, b);
    this.compared++;
    if (same) this.agreements++;
    return same;
  }

  snapshot(): Metrics {
    return {
      Variants: [this.production.snapshot(), this.shadow.snapshot()],
      Comparison: {
        Compared: this.compared,
        Agreements: this.agreements,
        AgreementRate: this.compared ? Math.round((this.agreements / this.compared) * 10_000) / 10_000 : null,
      },
      ShadowDropped: this.dropped,
    };
  }
}

/**
 * Two outputs agree when their bytes are equal, or, when both are JSON, when they parse to
 * the same value (key order and whitespace do not matter to a JSON consumer).
 */
export function outputsAgree(a: { body: Buffer; contentType?: string }, b: { body: Buffer; contentType?: string }): boolean {
  if (a.body.equals(b.body)) return true;
  const json = (t?: string) => /json/i.test(t ?? '');
  if (!json(a.contentType) || !json(b.contentType)) return false;
  try {
    return canonical(JSON.parse(a.body.toString('utf8'))) === canonical(JSON.parse(b.body.toString('utf8')));
  } catch {
    return false;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
