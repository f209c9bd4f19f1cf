import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadCommandEnv } from './command-env.js';

describe('loadCommandEnv', () => {
  it('reads PORT, HOST, SHARDGATE_CONFIG, LOG_LEVEL and SHARDGATE_MODULES', () => {
    expect(
      loadCommandEnv({
        PORT: '4100',
        HOST: '127.0.0.1',
        SHARDGATE_CONFIG: 'topology.json',
        LOG_LEVEL: 'debug',
        SHARDGATE_MODULES: 'a.js,b.js',
      }),
    ).toEqual({
      port: '4100',
      host: '127.0.0.1',
      configPath: 'topology.json',
      logLevel: 'debug',
      modules: 'a.js,b.js',
    });
  });

  it('leaves unset and empty variables to the command', () => {
    expect(loadCommandEnv({ PORT: '', LOG_LEVEL: '' })).toEqual({
      port: undefined,
      host: undefined,
      configPath: undefined,
      logLevel: undefined,
      modules: undefined,
    });
  });

  it('refuses a log level pino does not know, naming the variable', () => {
    expect(() => loadCommandEnv({ LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadCommandEnv({ LOG_LEVEL: 'verbose' })).toThrow(
      /^LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"$/,
    );
  });
});
