import type { StatementObserver } from '../repository/statement-observer.js';

/** Counts every statement that passes the gateway's door (health probes do not). */
export class StatementCounter implements StatementObserver {
  count = 0;

  onStart(): undefined {
    this.count++;
    return undefined;
  }
}
