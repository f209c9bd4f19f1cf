import { fork, type ChildProcess } from 'node:child_process';
import { trackChild } from '../testkit/cleanup-at-exit.js';
import { isChildMessage, type ChildMessage, type ParentMessage, type ServerStats } from './ipc-protocol.js';

export interface ServerProcessOptions {
  /** Shown in messages: "gateway", "baseline"... */
  readonly name: string;
  /** A compiled entry under dist-bench/bench/. */
  readonly script: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** e.g. --cpu-prof. */
  readonly execArgv?: readonly string[];
  /** @default 60000 */
  readonly startTimeoutMs?: number;
}

/** The parent's handle on a server child (gateway-entry or baseline-entry). */
export class ServerProcess {
  private seq = 0;
  private readonly waiting = new Map<number, (message: ChildMessage) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message) || !('seq' in message)) return;
      const reply = this.waiting.get(message.seq);
      this.waiting.delete(message.seq);
      reply?.(message);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: ServerProcessOptions): Promise<ServerProcess> {
    const child = fork(opts.script, [...opts.args], {
      env: opts.env,
      execArgv: [...(opts.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    trackChild(child);
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${opts.name} did not start within ${timeoutMs} ms`)), timeoutMs);
        onExit = (code, signal) => reject(new Error(`${opts.name} exited during start-up (${signal ?? `code ${code}`})`));
        child.once('exit', onExit);
        child.once('error', reject);
        child.on('message', (message: unknown) => {
          if (!isChildMessage(message)) return;
          if (message.type === 'ready') resolve(message.port);
          if (message.type === 'failed') reject(new Error(`${opts.name} failed to start: ${message.message}`));
        });
      }).finally(() => {
        clearTimeout(timer);
        if (onExit) child.off('exit', onExit);
      });
      return new ServerProcess(opts.name, child, port);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  async stats(): Promise<ServerStats> {
    const reply = await this.request('stats');
    if (reply.type !== 'stats') throw new Error(`${this.name}: unexpected reply ${reply.type}`);
    return reply.stats;
  }

  async resetStatements(): Promise<void> {
    await this.request('reset');
  }

  /** Graceful stop (pools closed, profile written), then SIGKILL by pid if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop', seq: ++this.seq } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private request(type: 'stats' | 'reset'): Promise<ChildMessage> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`${this.name} did not answer "${type}"`));
      }, 10_000);
      this.waiting.set(seq, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.child.send({ type, seq } satisfies ParentMessage);
    });
  }
}
