import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { aggregateWorkers, labelWorker, WorkerMetrics } from '../observability/cluster-metrics.js';
import type { GatewayMetrics, MetricsJson } from '../observability/gateway-metrics.js';
import type { Logger } from '../observability/logger.js';
import { UsageError } from './cli-io.js';

/** The most workers `--workers` accepts: more processes than this on one machine is a typo, not a plan. */
export const MAX_WORKERS = 256;
/** How long the primary waits for a worker's metrics before answering /metrics with the others'. */
const COLLECT_TIMEOUT_MS = 3_000;
/** A worker that dies this soon after it started is replaced only after a pause, doubled each time (a crash loop must not spin). */
const QUICK_DEATH_MS = 5_000;
const MAX_RESTART_DELAY_MS = 10_000;
/** SIGTERM: the workers drain for up to 10 s each (startGateway's close); past this they are killed. */
const STOP_TIMEOUT_MS = 30_000;

/** `--workers N|auto`: a number of worker processes, `auto` = the CPUs Node.js may use. */
export function parseWorkers(value: string | undefined, cpus: () => number = availableParallelism): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.max(1, Math.min(MAX_WORKERS, cpus()));
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_WORKERS) {
    throw new UsageError(`--workers: expected an integer between 1 and ${MAX_WORKERS} or "auto", got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Messages between the primary and its workers, over the cluster IPC channel. */
type WorkerMessage =
  | { readonly sg: 'ready'; readonly url: string }
  | { readonly sg: 'scrape'; readonly id: number }
  | { readonly sg: 'snapshot'; readonly id: number; readonly metrics: MetricsJson | null };
type PrimaryMessage =
  { readonly sg: 'collect'; readonly id: number } | { readonly sg: 'scraped'; readonly id: number; readonly text: string };

const isMessage = (m: unknown): m is { sg: string } =>
  typeof m === 'object' && m !== null && typeof (m as { sg?: unknown }).sg === 'string';

export const isWorkerProcess = (): boolean => cluster.isWorker;

/**
 * The primary of `serve --workers N`: forks N workers (each runs the whole
 * gateway with its own pools; they share the listening port), prints the
 * ready line once all of them listen, replaces a worker that dies, forwards
 * SIGHUP (reload) and SIGTERM/SIGINT (drain) to every worker, and answers the
 * workers' requests for the server-wide metrics. Resolves with the exit code
 * once every worker has exited after a stop signal.
 */
export async function runPrimary(opts: {
  readonly workers: number;
  readonly logger: Logger;
  readonly out: (line: string) => void;
}): Promise<number> {
  const { workers: count, logger } = opts;
  let stopping = false;
  const startedAt = new Map<Worker, number>();
  let restartDelay = 0;
  /** Workers whose gateway listens: the ones SIGHUP is sent to (a starting one reads the file anyway) and `shardgate_workers` counts. */
  const serving = new Set<Worker>();
  const metrics = new WorkerMetrics(() => serving.size);

  const collects = new Map<number, { readonly pending: Set<number>; readonly got: MetricsJson[]; readonly done: () => void }>();
  let nextId = 1;
  const gatherAll = async (): Promise<string> => {
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const id = nextId++;
    const got: MetricsJson[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
      function done() {
        clearTimeout(timer);
        collects.delete(id);
        resolve();
      }
      collects.set(id, { pending: new Set(live.map((w) => w.id)), got, done });
      if (live.length === 0) done();
      for (const w of live) w.send({ sg: 'collect', id } satisfies PrimaryMessage);
    });
    return aggregateWorkers(got, metrics.registry);
  };

  let ready = 0;
  let announced = false;
  const fork = (): void => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    logger.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker started');
    worker.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      const msg = m as WorkerMessage;
      if (msg.sg === 'ready') {
        serving.add(worker);
        ready++;
        if (!announced && ready >= count) {
          announced = true;
          opts.out(`shardgate is serving with ${count} workers; GraphiQL: ${msg.url}`);
        }
      } else if (msg.sg === 'scrape') {
        void gatherAll().then(
          (text) => worker.isConnected() && worker.send({ sg: 'scraped', id: msg.id, text } satisfies PrimaryMessage),
          (err: unknown) => logger.error({ err }, "gathering the workers' metrics failed"),
        );
      } else if (msg.sg === 'snapshot') {
        const c = collects.get(msg.id);
        if (!c || !c.pending.delete(worker.id)) return;
        if (msg.metrics) c.got.push(labelWorker(msg.metrics, worker.id));
        if (c.pending.size === 0) c.done();
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    serving.delete(worker);
    for (const c of collects.values()) if (c.pending.delete(worker.id) && c.pending.size === 0) c.done();
    if (stopping) {
      logger.info({ worker: worker.id, workerPid: worker.process.pid, code, signal }, 'worker stopped');
      return;
    }
    metrics.restarts.inc();
    restartDelay = lived < QUICK_DEATH_MS ? Math.min(MAX_RESTART_DELAY_MS, Math.max(250, restartDelay * 2)) : 0;
    logger.error(
      { worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: restartDelay },
      'worker died; starting another while the others serve',
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
  });

  const forward = (signal: NodeJS.Signals, to: Iterable<Worker | undefined> = Object.values(cluster.workers ?? {})) => {
    for (const w of to) if (w && !w.isDead()) w.process.kill(signal);
  };
  const onHup = () => {
    logger.info({ workers: serving.size }, 'SIGHUP: every worker reloads the topology');
    forward('SIGHUP', serving);
  };
  process.on('SIGHUP', onHup);

  for (let i = 0; i < count; i++) fork();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  stopping = true;
  process.off('SIGHUP', onHup);
  logger.info({ signal }, 'shutting down: every worker drains');
  const exits = Object.values(cluster.workers ?? {})
    .filter((w): w is Worker => !!w && !w.isDead())
    .map((w) => new Promise<number | null>((resolve) => w.once('exit', (code) => resolve(code))));
  forward('SIGTERM');
  const killer = setTimeout(() => forward('SIGKILL'), STOP_TIMEOUT_MS);
  const codes = await Promise.all(exits);
  clearTimeout(killer);
  return codes.every((c) => c === 0) ? 0 : 1;
}

/**
 * In a worker: tells the primary when the gateway listens, answers the
 * primary's requests for this worker's metrics, and makes this worker's
 * /metrics answer for the whole server (through the primary).
 */
export function joinPrimary(metrics: GatewayMetrics, url: string): void {
  const waiting = new Map<number, (text: string) => void>();
  let nextId = 1;
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    const msg = m as PrimaryMessage;
    if (msg.sg === 'collect') {
      void metrics.snapshot().then(
        (snapshot) => send({ sg: 'snapshot', id: msg.id, metrics: snapshot }),
        () => send({ sg: 'snapshot', id: msg.id, metrics: null }),
      );
    } else if (msg.sg === 'scraped') {
      waiting.get(msg.id)?.(msg.text);
      waiting.delete(msg.id);
    }
  });
  metrics.gatherWith(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        // The primary answers within its own collect timeout; this bound only covers a primary that is gone.
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the primary process did not answer for the metrics'));
        }, COLLECT_TIMEOUT_MS * 2);
        waiting.set(id, (text) => {
          clearTimeout(timer);
          resolve(text);
        });
        send({ sg: 'scrape', id });
      }),
  );
  send({ sg: 'ready', url });
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}
