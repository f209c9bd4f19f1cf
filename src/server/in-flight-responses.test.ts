import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InFlightResponses } from './in-flight-responses.js';

/** Enough of a response for the list: it only listens for 'close'. */
const response = (name: string) => Object.assign(new EventEmitter(), { name }) as unknown as ServerResponse & { name: string };

const names = (list: InFlightResponses) => {
  const seen: string[] = [];
  list.forEach((res) => seen.push((res as unknown as { name: string }).name));
  return seen;
};

describe('InFlightResponses', () => {
  it('holds each response until it closes, in any order, newest first', () => {
    const list = new InFlightResponses();
    const [a, b, c] = [response('a'), response('b'), response('c')];
    for (const res of [a, b, c]) list.track(res);
    expect(names(list)).toEqual(['c', 'b', 'a']);
    b.emit('close');
    expect(names(list)).toEqual(['c', 'a']);
    c.emit('close');
    expect(names(list)).toEqual(['a']);
    expect(list.size).toBe(1);
    a.emit('close');
    expect(names(list)).toEqual([]);
    expect(list.size).toBe(0);
  });

  it('responses that close while the list is visited are all still visited once', () => {
    const list = new InFlightResponses();
    const [a, b] = [response('a'), response('b')];
    list.track(a);
    list.track(b);
    a.emit('close');
    expect(names(list)).toEqual(['b']);
    const c = response('c');
    list.track(c);
    const visited: string[] = [];
    list.forEach((res) => {
      visited.push((res as unknown as { name: string }).name);
      res.emit('close');
    });
    expect(visited).toEqual(['c', 'b']);
    expect(list.size).toBe(0);
  });
});
