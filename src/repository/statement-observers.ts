import type { StatementEvent, StatementObserver, StatementOutcome } from './statement-observer.js';

/** The observers every statement is reported to (spans, metrics): one start, one finish each. */
export class StatementObservers {
  private readonly observers: StatementObserver[];

  constructor(observers: readonly StatementObserver[] = []) {
    this.observers = [...observers];
  }

  add(observer: StatementObserver): void {
    this.observers.push(observer);
  }

  /** Tells every observer a statement starts; call what it returns exactly once, with the outcome. */
  start(event: StatementEvent): (outcome: StatementOutcome) => void {
    if (this.observers.length === 0) return noop;
    const finishers: ((o: StatementOutcome) => void)[] = [];
    for (const observer of this.observers) {
      const f = observer.onStart(event);
      if (f) finishers.push(f);
    }
    return (outcome) => {
      for (const f of finishers) f(outcome);
    };
  }
}

function noop(): void {}
