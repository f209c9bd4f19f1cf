/*
 * The messages between the bench (parent) and a server it forked (gateway or
 * baseline): the child says when it listens, reports its own counters and
 * memory on request, and stops when asked. One request at a time; `seq`
 * pairs a reply with its request.
 */

export interface ServerStats {
  /** SQL statements the requests asked for since the last reset (hedges not counted: they depend on the machine's speed). */
  readonly statements: number;
  /** Hedged copies of slow reads since the last reset. */
  readonly hedges: number;
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size of the process so far. */
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
  /** V8's heap as committed (used + free, young and old generations): what GC timing moves. */
  readonly heapTotalBytes: number;
  /** Memory of Buffers and other objects outside the V8 heap. */
  readonly externalBytes: number;
  /** CPU time of the whole process (user + system, every thread) since it started. */
  readonly cpuMicros: number;
  /** The part of cpuMicros spent in the kernel (system calls: sockets, wake-ups). */
  readonly systemCpuMicros: number;
  /** Times the process was descheduled while it could run: CPU taken by other processes. */
  readonly involuntaryContextSwitches: number;
  /** A global OpenTelemetry tracer provider is registered (an SDK is running). */
  readonly tracerRegistered: boolean;
}

export type ParentMessage =
  | { readonly type: 'stats'; readonly seq: number }
  | { readonly type: 'reset'; readonly seq: number }
  | { readonly type: 'stop'; readonly seq: number };

export type ChildMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stats'; readonly seq: number; readonly stats: ServerStats }
  | { readonly type: 'done'; readonly seq: number };

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
