import { describe, expect, it } from 'vitest';
import { SqlError, ShardUnavailableError } from '../repository/errors.js';
import { CLAIM_UNIQUE_EMAIL, DELETE_USER_CLAIMED, INSERT_USER_CLAIMED, UPDATE_USER_CLAIMED } from '../repository/email-statements.js';
import { statement } from '../repository/statement.js';
import {
  INSERT_USER,
  SELECT_USERS_BY_IDS,
  UPDATE_USER,
  DELETE_USER,
  COUNT_USERS,
  INSERT_USERS_BULK,
  usersPageStatement,
} from '../repository/user-statements.js';
import { buildShards } from '../sharding/shard.js';
import { collectionOf, statementFailure, statementSpan } from './statement-span.js';

const node = (port: number) => ({ host: '10.0.0.7', port, user: 'postgres', password: 'secret', dbname: 'shardgate' });
const [, shard1] = buildShards({
  shards: [
    { shardId: 0, primary: node(5000), replicas: [node(5001)] },
    { shardId: 1, primary: node(5002), replicas: [node(5003)] },
  ],
});

describe('collectionOf', () => {
  it('finds the table of every user statement, and none where there is no single table', () => {
    for (const s of [
      INSERT_USER,
      SELECT_USERS_BY_IDS,
      UPDATE_USER,
      DELETE_USER,
      COUNT_USERS,
      usersPageStatement('asc', true, 21),
      INSERT_USERS_BULK,
    ]) {
      expect(collectionOf(s), s.name).toBe('users');
    }
    for (const s of [INSERT_USER_CLAIMED, UPDATE_USER_CLAIMED, DELETE_USER_CLAIMED]) expect(collectionOf(s), s.name).toBe('users');
    expect(collectionOf(CLAIM_UNIQUE_EMAIL)).toBe('user_emails');
    expect(collectionOf(statement('lock', 'SELECT', 'SELECT pg_advisory_xact_lock(1)'))).toBeNull();
    expect(collectionOf(statement('begin', 'BEGIN', 'BEGIN'))).toBeNull();
    expect(collectionOf(statement('fn', 'SELECT', 'SELECT * FROM generate_series(1, $1)'))).toBeNull();
  });
});

describe('statementSpan', () => {
  it('a batched replica read: semconv attributes, shard, role, reason, lag and keys; the text has no values', () => {
    const span = statementSpan(
      { target: { node: shard1!.replicas[0]!, role: 'replica', reason: 'replica-read' }, statement: SELECT_USERS_BY_IDS, batchSize: 7 },
      { seconds: 0.25, bytes: 120 },
    );
    expect(span).toEqual({
      name: 'SELECT users',
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shardgate',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'users',
        'db.query.text': 'SELECT user_id, name, email, created_at FROM users WHERE user_id = ANY($1::varchar[])',
        'db.query.summary': 'SELECT users',
        'server.address': '10.0.0.7',
        'server.port': 5003,
        'shard.id': 1,
        'shard.role': 'replica',
        'shard.route.reason': 'replica-read',
        'shard.replica.lag_seconds': 0.25,
        'shard.batch.keys': 7,
      },
    });
    expect(JSON.stringify(span)).not.toContain('secret');
  });

  it("a page shows its size as ?, not the request's value: every size of one page shape is one text", () => {
    const target = { node: shard1!.replicas[0]!, role: 'replica' as const, reason: 'replica-read' as const };
    const small = statementSpan({ target, statement: usersPageStatement('desc', true, 4) }, null);
    const large = statementSpan({ target, statement: usersPageStatement('desc', true, 101) }, null);
    expect(small.attributes['db.query.text']).toBe(
      'SELECT user_id, name, email, created_at FROM users ' +
        'WHERE (created_at, user_id COLLATE "C") < ($1::timestamptz, $2::varchar COLLATE "C") ' +
        'ORDER BY created_at DESC, user_id COLLATE "C" DESC LIMIT ?',
    );
    expect(large.attributes['db.query.text']).toBe(small.attributes['db.query.text']);
    expect(small.name).toBe('SELECT users');
  });

  it('the second copy of a hedged read says so (shard.hedge), and only it', () => {
    const target = { node: shard1!.primary, role: 'primary' as const, reason: 'replica-failed' as const };
    expect(statementSpan({ target, statement: COUNT_USERS, hedge: true }, null).attributes).toMatchObject({ 'shard.hedge': true });
    expect(statementSpan({ target, statement: COUNT_USERS }, null).attributes).not.toHaveProperty('shard.hedge');
  });

  it('a write to a primary has no lag and no batch size; a read the primary served says why', () => {
    const write = statementSpan({ target: { node: shard1!.primary, role: 'primary', reason: 'write' }, statement: INSERT_USER }, null);
    expect(write.name).toBe('INSERT users');
    expect(write.attributes).toMatchObject({ 'shard.role': 'primary', 'shard.route.reason': 'write', 'server.port': 5002 });
    expect(write.attributes).not.toHaveProperty('shard.replica.lag_seconds');
    expect(write.attributes).not.toHaveProperty('shard.batch.keys');
    const fallback = statementSpan(
      { target: { node: shard1!.primary, role: 'primary', reason: 'no-healthy-replica' }, statement: COUNT_USERS },
      null,
    );
    expect(fallback.attributes['shard.route.reason']).toBe('no-healthy-replica');
  });

  it('shard.role is the role observed when routed, not the one configured (a promoted replica is primary)', () => {
    const promoted = statementSpan(
      { target: { node: shard1!.replicas[0]!, role: 'primary', reason: 'write' }, statement: INSERT_USER },
      null,
    );
    expect(promoted.attributes).toMatchObject({ 'shard.role': 'primary', 'server.port': 5003 });
    expect(promoted.attributes).not.toHaveProperty('shard.replica.lag_seconds');
  });

  it('transaction control is named by its operation alone', () => {
    expect(
      statementSpan(
        { target: { node: shard1!.primary, role: 'primary', reason: 'write' }, statement: statement('begin', 'BEGIN', 'BEGIN') },
        null,
      ).name,
    ).toBe('BEGIN');
  });
});

describe('statementFailure', () => {
  it('a SQLSTATE becomes error.type and db.response.status_code, never the message with its values', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint; Key (user_id)=(alice)'), { code: '23505' });
    const failure = statementFailure({
      rowCount: null,
      outcome: 'error',
      sqlState: '23505',
      error: new SqlError('23505', 'users_insert', { cause: pgError }),
    });
    expect(failure).toEqual({ errorType: '23505', attributes: { 'error.type': '23505', 'db.response.status_code': '23505' } });
  });

  it("an unavailable node: the SQLSTATE the door read from PostgreSQL's error, else the socket code, else the class", () => {
    const timeout = new ShardUnavailableError(1, 'x', { cause: Object.assign(new Error('canceling statement'), { code: '57014' }) });
    expect(statementFailure({ rowCount: null, outcome: 'unavailable', sqlState: '57014', error: timeout }).attributes).toEqual({
      'error.type': '57014',
      'db.response.status_code': '57014',
    });
    const refused = new ShardUnavailableError(1, 'x', {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5003'), { code: 'ECONNREFUSED' }),
    });
    expect(statementFailure({ rowCount: null, outcome: 'unavailable', error: refused }).attributes).toEqual({
      'error.type': 'ECONNREFUSED',
    });
    const closed = new ShardUnavailableError(1, 'the gateway is shutting down');
    expect(statementFailure({ rowCount: null, outcome: 'unavailable', error: closed }).errorType).toBe('ShardUnavailableError');
  });
});
