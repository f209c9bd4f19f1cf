import type { ChildMessage, ParentMessage, ServerStats } from './ipc-protocol.js';

export interface ServedProcess {
  statements(): number;
  /** Hedged copies of slow reads since the last reset (a gateway's; 0 for a baseline). */
  hedges?(): number;
  resetStatements(): void;
  /** Graceful stop: stop listening, close pools. */
  close(): Promise<void>;
}

const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * The child side of the protocol. Also exits when the parent goes away
 * (IPC channel closed), so a bench killed hard leaves no server behind.
 */
export function serveOverIpc(port: number, served: ServedProcess): void {
  const send = (message: ChildMessage) => process.send?.(message);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= served
      .close()
      .catch(() => {})
      // A normal exit: --cpu-prof writes its profile here.
      .then(() => process.exit(0)));
  process.on('message', (raw: ParentMessage) => {
    switch (raw.type) {
      case 'stats':
        send({ type: 'stats', seq: raw.seq, stats: currentStats(served) });
        break;
      case 'reset':
        served.resetStatements();
        send({ type: 'done', seq: raw.seq });
        break;
      case 'stop':
        void stop();
        break;
    }
  });
  process.on('disconnect', () => void stop());
  send({ type: 'ready', port });
}

export function failOverIpc(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.send?.({ type: 'failed', message } satisfies ChildMessage);
  process.exitCode = 1;
  process.disconnect?.();
}

function currentStats(served: ServedProcess): ServerStats {
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  const memory = process.memoryUsage();
  const global = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL];
  return {
    statements: served.statements(),
    hedges: served.hedges?.() ?? 0,
    rssBytes: memory.rss,
    maxRssBytes: usage.maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    cpuMicros: cpu.user + cpu.system,
    systemCpuMicros: cpu.system,
    involuntaryContextSwitches: usage.involuntaryContextSwitches,
    tracerRegistered: global?.trace !== undefined,
  };
}
