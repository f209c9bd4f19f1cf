import type { ServerResponse } from 'node:http';

interface Entry {
  readonly res: ServerResponse;
  prev: Entry | null;
  next: Entry | null;
}

/**
 * The responses a server is writing now, so that a drain can reach each of
 * them. A linked list, not a Set: on Node 20 and 24, an object added to a
 * long-lived Set or Map and deleted a moment later is still kept alive by the
 * next scavenges, so every response, and the whole request behind it (rows,
 * headers, the GraphQL context), was promoted to the old generation: about
 * 5 KB per request, the main source of the gateway's old-generation growth
 * and of its RSS after a load. An entry unlinked from its neighbours leaves
 * no reference behind.
 */
export class InFlightResponses {
  private head: Entry | null = null;
  private count = 0;

  /** Tracks `res` until it closes (finished, or its connection gone). */
  track(res: ServerResponse): void {
    const entry: Entry = { res, prev: null, next: this.head };
    if (this.head) this.head.prev = entry;
    this.head = entry;
    this.count++;
    res.once('close', () => this.unlink(entry));
  }

  get size(): number {
    return this.count;
  }

  /** Each response still open, newest first. */
  forEach(visit: (res: ServerResponse) => void): void {
    for (let entry = this.head; entry;) {
      const next = entry.next;
      visit(entry.res);
      entry = next;
    }
  }

  /** Called once per entry (`once('close')`). */
  private unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
    this.count--;
  }
}
