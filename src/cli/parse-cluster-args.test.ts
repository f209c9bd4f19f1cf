import { describe, expect, it } from 'vitest';
import { parseClusterArgs } from './parse-cluster-args.js';

describe('parseClusterArgs', () => {
  it('parses up with every option', () => {
    expect(parseClusterArgs(['up', '--dir', 'D', '--shards', '2', '--replicas', '0', '--base-port', '6000', '--no-fsync'])).toEqual({
      kind: 'up',
      dir: 'D',
      shards: 2,
      replicas: 0,
      basePort: 6000,
      noFsync: true,
      synchronous: false,
      ha: undefined,
    });
  });

  it('parses --synchronous and --ha', () => {
    expect(parseClusterArgs(['up', '--dir', 'D', '--synchronous', '--ha', 'patroni'])).toMatchObject({
      kind: 'up',
      synchronous: true,
      ha: 'patroni',
    });
    expect(parseClusterArgs(['up', '--dir', 'D', '--ha=none'])).toMatchObject({ ha: 'none' });
  });

  it('parses failover', () => {
    expect(parseClusterArgs(['failover', '--dir', 'D', '--shard', '2'])).toEqual({ kind: 'failover', dir: 'D', shard: 2 });
  });

  it('leaves options not given undefined, so an existing cluster keeps its layout', () => {
    expect(parseClusterArgs(['up', '--dir=D'])).toMatchObject({
      kind: 'up',
      shards: undefined,
      replicas: undefined,
      basePort: undefined,
      noFsync: false,
    });
  });

  it('parses down and status', () => {
    expect(parseClusterArgs(['down', '--dir', 'D'])).toEqual({ kind: 'down', dir: 'D' });
    expect(parseClusterArgs(['status', '--dir', 'D'])).toEqual({ kind: 'status', dir: 'D' });
  });

  it.each([[[]], [['--help']], [['-h']], [['help']]])('gives the cluster help for %j', (argv) => {
    expect(parseClusterArgs(argv)).toMatchObject({ kind: 'help', text: expect.stringContaining('Usage: shardgate cluster <command>') });
  });

  it.each(['up', 'down', 'status', 'failover'])('gives help for %s, even without --dir', (sub) => {
    expect(parseClusterArgs([sub, '--help'])).toMatchObject({
      kind: 'help',
      text: expect.stringContaining(`Usage: shardgate cluster ${sub}`),
    });
  });

  it.each([
    [['up', '--dir', 'D', '--bogus'], "cluster up: unknown option '--bogus' (see `shardgate cluster up --help`)"],
    [['up', '--dir', 'D', '--shards', 'x'], 'cluster up: --shards expects a whole number, got "x" (see `shardgate cluster up --help`)'],
    [['up', '--dir', 'D', '--base-port', '-1'], expect.stringContaining('--base-port')],
    [['up'], 'cluster up: --dir D is required (see `shardgate cluster up --help`)'],
    [['status', '--dir', 'D', 'extra'], expect.stringMatching(/^cluster status: unexpected argument 'extra'/)],
    [['down', '--dir', 'D', '--shards', '2'], expect.stringMatching(/^cluster down: unknown option '--shards'/)],
    [['frobnicate'], expect.stringMatching(/^cluster: unknown command "frobnicate"/)],
    [
      ['up', '--dir', 'D', '--ha', 'pacemaker'],
      'cluster up: --ha expects none or patroni, got "pacemaker" (see `shardgate cluster up --help`)',
    ],
    [['failover', '--dir', 'D'], 'cluster failover: --shard S is required (see `shardgate cluster failover --help`)'],
    [
      ['failover', '--dir', 'D', '--shard', 'one'],
      'cluster failover: --shard expects a shard number, got "one" (see `shardgate cluster failover --help`)',
    ],
    [['status', '--dir', 'D', '--synchronous'], expect.stringMatching(/^cluster status: unknown option '--synchronous'/)],
  ])('refuses %j with one line', (argv, message) => {
    const result = parseClusterArgs(argv);
    expect(result).toEqual({ kind: 'usage-error', message });
    expect((result as { message: string }).message).not.toContain('\n');
  });
});
