/** Samples kept per node: enough for a stable p95 (13 samples above it), small enough to sort in microseconds. */
export const LATENCY_SAMPLES = 256;
/** Fewer samples than this give no percentile: a cold node is not hedged on a guess. */
export const MIN_LATENCY_SAMPLES = 20;
/** The p95 is computed again after this many new samples (sorting on every read would cost more than it tells). */
const RECOMPUTE_EVERY = 16;

/**
 * A node's recent statement latencies: a ring of the last LATENCY_SAMPLES
 * durations (a fixed Float64Array, so memory is bounded whatever the
 * traffic), and its 95th percentile, computed again every few samples.
 * "Recent" is counted in statements, not seconds: a busy node's window is a
 * fraction of a second, an idle node's stays what it last saw until new
 * statements replace it. Pure: durations come in, nothing is timed here.
 */
export class LatencyRing {
  private readonly samples = new Float64Array(LATENCY_SAMPLES);
  private count = 0;
  private next = 0;
  private sinceComputed = 0;
  private cachedP95: number | null = null;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % LATENCY_SAMPLES;
    if (this.count < LATENCY_SAMPLES) this.count++;
    this.sinceComputed++;
  }

  /** How many samples the ring holds (at most LATENCY_SAMPLES). */
  get size(): number {
    return this.count;
  }

  /** The 95th percentile of the samples held, or null while fewer than MIN_LATENCY_SAMPLES. */
  p95(): number | null {
    if (this.count < MIN_LATENCY_SAMPLES) return null;
    if (this.cachedP95 === null || this.sinceComputed >= RECOMPUTE_EVERY) {
      const sorted = this.samples.slice(0, this.count).sort();
      this.cachedP95 = sorted[Math.min(this.count - 1, Math.ceil(this.count * 0.95) - 1)]!;
      this.sinceComputed = 0;
    }
    return this.cachedP95;
  }
}

/** One LatencyRing per node, by node key; nodes that left the topology are dropped with `retain`. */
export class RecentLatencies {
  private readonly rings = new Map<string, LatencyRing>();

  record(nodeKey: string, ms: number): void {
    let ring = this.rings.get(nodeKey);
    if (!ring) {
      ring = new LatencyRing();
      this.rings.set(nodeKey, ring);
    }
    ring.record(ms);
  }

  p95(nodeKey: string): number | null {
    return this.rings.get(nodeKey)?.p95() ?? null;
  }

  /** Forgets every node not in `keys` (after a topology reload). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.rings.keys()]) if (!keys.has(key)) this.rings.delete(key);
  }
}

/** The shortest hedge delay: below it a hedge would race the network, not a straggler. */
export const MIN_HEDGE_DELAY_MS = 2;

/**
 * How long a read of a node waits before it is hedged: the configured
 * milliseconds, or with `auto` the node's recent p95 (at least
 * MIN_HEDGE_DELAY_MS); null (no hedge) while `auto` knows too little of the node.
 */
export function hedgeDelayMs(afterMs: number | 'auto', recentP95: number | null): number | null {
  if (afterMs !== 'auto') return afterMs;
  if (recentP95 === null) return null;
  return Math.max(MIN_HEDGE_DELAY_MS, recentP95);
}
