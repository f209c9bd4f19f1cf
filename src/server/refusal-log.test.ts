import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BadUserInputError } from '../graphql/errors.js';
import { RefusalLog } from './refusal-log.js';

describe('RefusalLog', () => {
  it('one info line per kind per window, with the count suppressed before it; no stack', () => {
    const lines: any[] = [];
    let now = 0;
    const log = new RefusalLog(pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) }), 1000, () => now);
    const timeout = new BadUserInputError('shardgate-timeout-ms', 'expected a positive integer of milliseconds');
    const token = new BadUserInputError('shardgate-consistency-token', 'not a valid consistency token');
    for (let i = 0; i < 500; i++) {
      log.note(timeout);
      log.note(token);
      now += 1; // 500 ms of refusals
    }
    expect(lines.map((l) => [l.level, l.field, l.suppressed])).toEqual([
      [30, 'shardgate-timeout-ms', 0],
      [30, 'shardgate-consistency-token', 0],
    ]);
    now = 1000;
    log.note(timeout);
    expect(lines[2]).toMatchObject({ level: 30, field: 'shardgate-timeout-ms', suppressed: 499, code: 'BAD_USER_INPUT' });
    expect(lines[2].msg).toBe(
      'request refused: shardgate-timeout-ms: expected a positive integer of milliseconds (499 more like it not logged)',
    );
    expect(JSON.stringify(lines)).not.toMatch(/stack|\.ts:\d+/);
  });

  it('many kinds: the oldest are forgotten, so memory stays bounded', () => {
    const lines: any[] = [];
    const log = new RefusalLog(pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) }), 1000, () => 0);
    for (let i = 0; i < 200; i++) log.note(new BadUserInputError(`f${i}`, 'bad'));
    expect(lines).toHaveLength(200);
    // The 64 newest kinds are still in their window; older ones were forgotten and log again.
    log.note(new BadUserInputError('f199', 'bad'));
    log.note(new BadUserInputError('f136', 'bad'));
    expect(lines).toHaveLength(200);
    log.note(new BadUserInputError('f0', 'bad'));
    expect(lines).toHaveLength(201);
  });
});
