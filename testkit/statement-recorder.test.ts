import { describe, expect, it } from 'vitest';
import type { StatementEvent } from '../src/repository/statement-observer.js';
import { statement } from '../src/repository/statement.js';
import { buildShards } from '../src/sharding/shard.js';
import { StatementRecorder } from './statement-recorder.js';

const node = { host: '127.0.0.1', port: 5432, user: 'postgres', password: '', dbname: 'x' };
const [shard] = buildShards({ shards: [{ shardId: 0, primary: node, replicas: [{ ...node, port: 5433 }] }] });
const event = (name: string): StatementEvent => ({
  target: { node: shard!.replicas[0]!, role: 'replica', reason: 'replica-read' },
  statement: statement(name, 'SELECT', 'SELECT 1'),
  batchSize: 2,
});

describe('StatementRecorder', () => {
  it('records where each statement went and how it ended, and counts them', () => {
    const recorder = new StatementRecorder();
    recorder.onStart(event('begin'));
    recorder.onStart(event('users_select_many'))?.({ rowCount: 1, outcome: 'ok' });
    expect(recorder.count).toBe(2);
    expect(recorder.of()).toEqual([
      {
        nodeId: 'shard0/127.0.0.1:5433',
        shardId: 0,
        role: 'replica',
        reason: 'replica-read',
        statement: 'users_select_many',
        batchSize: 2,
        outcome: 'ok',
      },
    ]);
    recorder.reset();
    expect([recorder.count, recorder.statements.length]).toEqual([0, 0]);
  });

  it("counts hedges apart: a hedge is the gateway's own second copy, not a statement the request asked for", () => {
    const recorder = new StatementRecorder();
    recorder.onStart(event('users_select_many'));
    recorder.onStart({ ...event('users_select_many'), hedge: true });
    expect([recorder.count, recorder.hedges]).toEqual([1, 1]);
    expect(recorder.of().map((s) => s.hedge ?? false)).toEqual([false, true]);
    recorder.reset();
    expect([recorder.count, recorder.hedges]).toEqual([0, 0]);
  });

  it('only counts when told not to keep statements (under load)', () => {
    const recorder = new StatementRecorder({ keep: false });
    for (let i = 0; i < 5; i++) expect(recorder.onStart(event('users_select_many'))).toBeUndefined();
    expect(recorder.count).toBe(5);
    expect(recorder.statements).toEqual([]);
  });
});
