import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadGatewayOptions } from './gateway-options.js';

describe('gateway options', () => {
  it('has bounded defaults', () => {
    const o = loadGatewayOptions({});
    expect(o.pool).toMatchObject({ max: 16, connectTimeoutMs: 1000, statementTimeoutMs: 5000, applicationName: 'shardgate' });
    expect(o.health).toMatchObject({ intervalMs: 1000, timeoutMs: 1000, failuresToEject: 2, maxLagSeconds: null });
    expect(o.request).toEqual({ timeoutMs: 10_000, consistencyWaitMs: 50 });
  });

  it('reads the request deadline and the consistency wait', () => {
    expect(loadGatewayOptions({ SHARDGATE_REQUEST_TIMEOUT_MS: '2500', SHARDGATE_CONSISTENCY_WAIT_MS: '0' }).request).toEqual({
      timeoutMs: 2500,
      consistencyWaitMs: 0,
    });
    expect(() => loadGatewayOptions({ SHARDGATE_REQUEST_TIMEOUT_MS: '0' })).toThrow(
      /SHARDGATE_REQUEST_TIMEOUT_MS: expected an integer between 1 and 3600000/,
    );
    expect(() => loadGatewayOptions({ SHARDGATE_CONSISTENCY_WAIT_MS: '-5' })).toThrow(/SHARDGATE_CONSISTENCY_WAIT_MS/);
  });

  it('reads the environment and refuses nonsense with the variable name', () => {
    const o = loadGatewayOptions({ SHARDGATE_POOL_MAX: '4', SHARDGATE_MAX_REPLICA_LAG_SECONDS: '2.5' });
    expect(o.pool.max).toBe(4);
    expect(o.health.maxLagSeconds).toBe(2.5);
    expect(() => loadGatewayOptions({ SHARDGATE_POOL_MAX: 'lots' })).toThrow(ConfigError);
    expect(() => loadGatewayOptions({ SHARDGATE_POOL_MAX: '0' })).toThrow(/SHARDGATE_POOL_MAX: expected an integer between 1 and 1000/);
  });
  it('reads the failover buffer settings: 0 turns buffering off', () => {
    expect(loadGatewayOptions({}).failover).toEqual({ bufferMs: 5_000, bufferMax: 1000 });
    // Shorter than the default deadline, so a write that outlasts the buffer gets its answer (SHARD_UNAVAILABLE), not SHARD_TIMEOUT.
    expect(loadGatewayOptions({}).failover.bufferMs).toBeLessThan(loadGatewayOptions({}).request.timeoutMs);
    expect(loadGatewayOptions({ SHARDGATE_FAILOVER_BUFFER_MS: '0', SHARDGATE_FAILOVER_BUFFER_MAX: '5' }).failover).toEqual({
      bufferMs: 0,
      bufferMax: 5,
    });
    expect(() => loadGatewayOptions({ SHARDGATE_FAILOVER_BUFFER_MAX: '0' })).toThrow(
      /SHARDGATE_FAILOVER_BUFFER_MAX: expected an integer between 1 and 1000000/,
    );
    expect(() => loadGatewayOptions({ SHARDGATE_FAILOVER_BUFFER_MS: '-1' })).toThrow(/SHARDGATE_FAILOVER_BUFFER_MS/);
  });

  it('reads unique emails: off unless SHARDGATE_UNIQUE_EMAILS says true', () => {
    expect(loadGatewayOptions({}).emails).toEqual({ unique: false });
    expect(loadGatewayOptions({ SHARDGATE_UNIQUE_EMAILS: 'true' }).emails).toEqual({ unique: true });
    expect(loadGatewayOptions({ SHARDGATE_UNIQUE_EMAILS: '0' }).emails).toEqual({ unique: false });
    expect(() => loadGatewayOptions({ SHARDGATE_UNIQUE_EMAILS: 'yes' })).toThrow(/SHARDGATE_UNIQUE_EMAILS: expected true or false/);
  });

  it('treats an empty variable as unset, and lists every bad variable at once', () => {
    expect(loadGatewayOptions({ SHARDGATE_POOL_MAX: '', SHARDGATE_APPLICATION_NAME: '' }).pool).toMatchObject({
      max: 16,
      applicationName: 'shardgate',
    });
    expect(loadGatewayOptions({ SHARDGATE_APPLICATION_NAME: 'api-7' }).pool.applicationName).toBe('api-7');
    const err = (() => {
      try {
        loadGatewayOptions({
          SHARDGATE_POOL_MAX: '2.5',
          SHARDGATE_MAX_REPLICA_LAG_SECONDS: '-1',
          SHARDGATE_HEALTH_TIMEOUT_MS: '10',
          SHARDGATE_REQUEST_TIMEOUT_MS: 'soon',
          SHARDGATE_MAX_DEPTH: '0',
          SHARDGATE_INTROSPECTION: 'maybe',
          SHARDGATE_TRUSTED_DOCUMENTS: '/nonexistent/trusted.json',
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.problems).toEqual([
      'SHARDGATE_POOL_MAX: expected an integer between 1 and 1000, got "2.5"',
      'SHARDGATE_HEALTH_TIMEOUT_MS: expected an integer between 50 and 600000, got "10"',
      'SHARDGATE_MAX_REPLICA_LAG_SECONDS: expected a positive number, got "-1"',
      'SHARDGATE_REQUEST_TIMEOUT_MS: expected an integer between 1 and 3600000, got "soon"',
      'SHARDGATE_MAX_DEPTH: expected an integer between 1 and 100, got "0"',
      'SHARDGATE_INTROSPECTION: expected true or false, got "maybe"',
      expect.stringMatching(/^SHARDGATE_TRUSTED_DOCUMENTS: /),
    ]);
  });
  it('reads the hedging settings: auto or milliseconds, and a budget share where 0 turns hedging off', () => {
    expect(loadGatewayOptions({}).hedge).toEqual({ afterMs: 'auto', budgetPercent: 5 });
    expect(loadGatewayOptions({ SHARDGATE_HEDGE_AFTER_MS: '15', SHARDGATE_HEDGE_BUDGET_PERCENT: '0' }).hedge).toEqual({
      afterMs: 15,
      budgetPercent: 0,
    });
    expect(loadGatewayOptions({ SHARDGATE_HEDGE_AFTER_MS: ' AUTO ', SHARDGATE_HEDGE_BUDGET_PERCENT: '2.5' }).hedge).toEqual({
      afterMs: 'auto',
      budgetPercent: 2.5,
    });
    for (const [name, value] of [
      ['SHARDGATE_HEDGE_AFTER_MS', 'soon'],
      ['SHARDGATE_HEDGE_AFTER_MS', '0'],
      ['SHARDGATE_HEDGE_AFTER_MS', '1.5'],
      ['SHARDGATE_HEDGE_BUDGET_PERCENT', '-1'],
      ['SHARDGATE_HEDGE_BUDGET_PERCENT', '101'],
      ['SHARDGATE_HEDGE_BUDGET_PERCENT', 'lots'],
    ] as const) {
      expect(() => loadGatewayOptions({ [name]: value }), `${name}=${value}`).toThrow(name);
    }
  });
});
