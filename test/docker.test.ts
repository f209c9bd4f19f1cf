/**
 * The Docker environment (docker-compose.yml, docker/, .dockerignore), checked
 * without a Docker engine: the compose file against the compose-spec schema
 * and against what `docker compose up` needs to come up in order; the
 * topology file with the project's validator; the Dockerfile's paths; the
 * shell scripts with `sh -n`; and the scripts that can run outside a
 * container, run: the gateway's HEALTHCHECK against a local HTTP server, and
 * the primary set-up, replica entrypoint and healthcheck against a throw-away
 * PostgreSQL primary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../src/config/config-error.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { parseDockerfile, type DockerStage } from './support/docker-dockerfile.js';
import { parseDockerignore } from './support/docker-ignore.js';
import { runGroup, spawnGroup, stopGroup, type GroupProcess } from './support/docker-processes.js';
import { directQuery } from '../testkit/pg-session.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const at = (path: string) => join(repoRoot, path);

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
}
interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composePath = at('docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
// Compose follows YAML 1.1 merge keys (`<<: *anchor`), which the file uses.
const compose = parseYaml(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const service = (name: string): ComposeService => {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

const SHARDS = [0, 1, 2] as const;
const primaryName = (i: number) => `shard${i}-primary`;
const replicaName = (i: number) => `shard${i}-replica`;

const dockerfileText = readFileSync(at('docker/Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfileText);
const runtime = stages.at(-1) as DockerStage;
const isDockerignored = parseDockerignore(readFileSync(at('.dockerignore'), 'utf8'));

/** Where each COPY of the runtime stage puts its sources, as container path -> context path. */
function runtimeCopies(): Map<string, string> {
  const copies = new Map<string, string>();
  let workdir = '/';
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args[0] ?? '/');
    if (instruction.keyword !== 'COPY' || instruction.flags.from !== undefined) continue;
    const sources = instruction.args.slice(0, -1);
    const dest = posix.resolve(workdir, instruction.args.at(-1) ?? '.');
    const intoDirectory = sources.length > 1 || /\/\.?$/.test(instruction.args.at(-1) ?? '');
    for (const source of sources) copies.set(intoDirectory ? posix.join(dest, posix.basename(source)) : dest, source);
  }
  return copies;
}

/** The host file behind a container path, through the service's bind mounts. */
function hostPathOf(svc: ComposeService, containerPath: string): string | undefined {
  for (const volume of svc.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source === undefined || target === undefined || !source.startsWith('.')) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return join(repoRoot, source, containerPath.slice(target.length));
    }
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file (compose-spec schema, via dclint)', async () => {
    const linter = await composeLinter();
    const [result] = linter.lintFiles([composePath], false);
    expect(result?.messages ?? ['no result'], 'dclint findings').toEqual([]);

    // The check has teeth: a condition Compose does not know is refused.
    const broken = join(mkdtempSync(join(tmpdir(), 'shardgate-compose-')), 'docker-compose.yml');
    try {
      writeFileSync(broken, composeText.replace('service_completed_successfully', 'service_finished'));
      const [brokenResult] = linter.lintFiles([broken], false);
      expect(brokenResult?.messages.map((m: { rule: string }) => m.rule)).toContain('invalid-schema');
    } finally {
      rmSync(join(broken, '..'), { recursive: true, force: true });
    }
  });

  it('passes `docker compose config` where Docker Compose v2 is installed', (ctx) => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    ctx.skip(probe.status !== 0, 'Docker Compose v2 is not installed (`docker compose`); the schema check above still ran');
    const config = spawnSync('docker', ['compose', '-f', composePath, 'config', '--quiet'], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    expect(config.stderr).toBe('');
    expect(config.status).toBe(0);
  });

  it('runs 3 shards, each a PostgreSQL 15 primary and a replica that follows it', () => {
    expect(compose.name).toBe('shardgate');
    const postgresServices = Object.keys(services).filter((name) => /^shard\d+-/.test(name));
    expect(postgresServices.sort()).toEqual(SHARDS.flatMap((i) => [primaryName(i), replicaName(i)]).sort());
    for (const i of SHARDS) {
      const primary = service(primaryName(i));
      const replica = service(replicaName(i));
      expect(primary.image).toMatch(/^postgres:15(?:[.-]|$)/);
      expect(replica.image).toBe(primary.image);
      expect(primary.command?.join(' ')).toContain('wal_level=replica');
      expect(replica.environment?.PRIMARY_HOST).toBe(primaryName(i));
      // The replica clones and follows with the role that primary-init.sh creates.
      expect(replica.environment?.REPLICATION_USER).toBe(primary.environment?.REPLICATION_USER);
      expect(replica.environment?.REPLICATION_PASSWORD).toBe(primary.environment?.REPLICATION_PASSWORD);
      expect(replica.entrypoint).toEqual(['sh', '/opt/shardgate/replica-entrypoint.sh']);
      const initScripts = (primary.volumes ?? []).filter((v) => v.split(':')[1]?.startsWith('/docker-entrypoint-initdb.d/'));
      expect(initScripts.map((v) => v.split(':')[0])).toEqual(['./docker/postgres/primary-init.sh']);
    }
  });

  it('comes up in order: replicas after their primary, migrate after every primary, the gateway last', () => {
    const condition = (from: string, to: string) => service(from).depends_on?.[to]?.condition;
    for (const i of SHARDS) {
      expect(service(replicaName(i)).depends_on).toEqual({ [primaryName(i)]: { condition: 'service_healthy' } });
      expect(condition('migrate', primaryName(i))).toBe('service_healthy');
      expect(condition('gateway', replicaName(i))).toBe('service_healthy');
    }
    expect(condition('gateway', 'migrate')).toBe('service_completed_successfully');
    expect(service('migrate').command?.[0]).toBe('migrate');
    expect(service('migrate').restart).toBe('no');

    // Every service waited for as healthy has a healthcheck, every dependency
    // exists, and there is no cycle (Compose refuses one).
    for (const [name, svc] of Object.entries(services)) {
      for (const [dependency, { condition: cond }] of Object.entries(svc.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (cond === 'service_healthy') {
          expect(service(dependency).healthcheck?.test, `${dependency}'s healthcheck`).toBeDefined();
        }
      }
    }
    const order: string[] = [];
    const visit = (name: string, path: readonly string[]) => {
      if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' -> ')}`);
      if (order.includes(name)) return;
      for (const dependency of Object.keys(service(name).depends_on ?? {})) visit(dependency, [...path, name]);
      order.push(name);
    };
    Object.keys(services).forEach((name) => visit(name, []));
    expect(order.indexOf('gateway')).toBeGreaterThan(order.indexOf('migrate'));
  });

  it('checks health with scripts that exist, mounted where the commands look for them', () => {
    for (const i of SHARDS) {
      for (const [name, role] of [
        [primaryName(i), 'primary'],
        [replicaName(i), 'replica'],
      ] as const) {
        const svc = service(name);
        const test = svc.healthcheck?.test ?? [];
        expect(test).toEqual(['CMD', 'sh', '/opt/shardgate/healthcheck.sh', role]);
        for (const containerPath of [...test, ...(svc.entrypoint ?? [])].filter((a) => a.startsWith('/opt/'))) {
          const hostPath = hostPathOf(svc, containerPath);
          expect(hostPath, `${name}: ${containerPath} is not mounted`).toBeDefined();
          expect(existsSync(hostPath ?? ''), `${name}: ${hostPath}`).toBe(true);
        }
      }
    }
    // The gateway's healthcheck is the image's (HEALTHCHECK in docker/Dockerfile);
    // the one-shot migrate, built from the same image, turns it off.
    expect(service('gateway').healthcheck).toBeUndefined();
    expect(service('migrate').healthcheck).toEqual({ disable: true });
  });

  it('keeps every PostgreSQL node on a named volume of its own', () => {
    const dataVolumes = SHARDS.flatMap((i) => [primaryName(i), replicaName(i)]).map((name) => {
      const mounts = (service(name).volumes ?? []).filter((v) => v.split(':')[1] === '/var/lib/postgresql/data');
      expect(mounts, name).toHaveLength(1);
      return mounts[0]?.split(':')[0] ?? '';
    });
    expect(new Set(dataVolumes).size).toBe(dataVolumes.length);
    for (const volume of dataVolumes) {
      expect(volume).toMatch(/^[a-z0-9][a-z0-9_.-]*$/);
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    }
  });

  it('builds the gateway and migrate from docker/Dockerfile, and mounts only files that exist', () => {
    for (const name of ['gateway', 'migrate']) {
      expect(service(name).build).toEqual({ context: '.', dockerfile: 'docker/Dockerfile' });
      expect(service(name).image).toBe(service('gateway').image);
    }
    for (const [name, svc] of Object.entries(services)) {
      for (const volume of svc.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(at(source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('sends the gateway’s traces to Jaeger over OTLP/HTTP and publishes ports 4000 and 16686', () => {
    const gateway = service('gateway');
    expect(gateway.environment).toMatchObject({
      OTEL_SERVICE_NAME: 'shardgate',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    expect(gateway.depends_on?.jaeger).toEqual({ condition: 'service_started' });
    expect(gateway.ports).toContain('127.0.0.1:4000:4000');
    expect(gateway.command).toEqual(['serve', '--config', gateway.environment?.SHARDGATE_CONFIG, '--port', '4000']);

    const jaeger = service('jaeger');
    expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:\d+\.\d+\.\d+$/);
    expect(jaeger.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(jaeger.ports).toContain('127.0.0.1:16686:16686');
  });

  it('has a local default for every variable it reads from the environment', () => {
    const references = [...composeText.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? '');
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) expect(reference).toMatch(/^[A-Z_][A-Z0-9_]*:-\S+$/);
    // The gateway logs in with the password the primaries were initialised with.
    for (const name of ['gateway', 'migrate']) {
      expect(service(name).environment?.SHARDGATE_DB_PASSWORD).toBe(service(primaryName(0)).environment?.POSTGRES_PASSWORD);
    }
  });
});

describe('docker/topology.json', () => {
  const topologyPath = at('docker/topology.json');
  const configPath = service('gateway').environment?.SHARDGATE_CONFIG ?? '';

  it('passes the project’s topology validator, taking passwords from the environment', () => {
    const topology = loadTopologyFile(topologyPath, { SHARDGATE_DB_PASSWORD: 'from-the-environment' });
    expect(topology.shards.map((s) => s.shardId)).toEqual([...SHARDS]);
    const primaryEnv = service(primaryName(0)).environment ?? {};
    for (const shard of topology.shards) {
      const nodes = [shard.primary, ...shard.replicas];
      expect(shard.primary.host).toBe(primaryName(shard.shardId));
      expect(shard.replicas.map((r) => r.host)).toEqual([replicaName(shard.shardId)]);
      for (const node of nodes) {
        expect(node).toMatchObject({ port: 5432, user: primaryEnv.POSTGRES_USER, dbname: primaryEnv.POSTGRES_DB });
        expect(node.password).toBe('from-the-environment');
      }
    }
    // No secret in the file itself.
    expect(readFileSync(topologyPath, 'utf8')).not.toMatch(/"password"\s*:\s*"[^"]/);
  });

  it('names a password variable that the gateway and migrate are given', () => {
    const document = JSON.parse(readFileSync(topologyPath, 'utf8')) as {
      shards: { primary: { passwordEnv?: string }; replicas: { passwordEnv?: string }[] }[];
    };
    const variables = new Set(document.shards.flatMap((s) => [s.primary, ...s.replicas].map((n) => n.passwordEnv)));
    expect([...variables]).toEqual(['SHARDGATE_DB_PASSWORD']);
    for (const name of ['gateway', 'migrate']) {
      expect(Object.keys(service(name).environment ?? {})).toContain('SHARDGATE_DB_PASSWORD');
    }
    expect(() => loadTopologyFile(topologyPath, {})).toThrow(ConfigError);
    expect(() => loadTopologyFile(topologyPath, {})).toThrow(/shards\[0\]\.primary\.passwordEnv/);
  });

  it('is baked into the image at the path that serve and migrate are given', () => {
    expect(runtimeCopies().get(configPath)).toBe('docker/topology.json');
    expect(service('migrate').command).toEqual(['migrate', '--config', configPath]);
    expect(service('migrate').environment?.SHARDGATE_CONFIG).toBe(configPath);
  });
});

describe('docker/Dockerfile', () => {
  it('builds in two stages from a slim Node 20 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:20(?:\.\d+)*-(?:[a-z]+-)?slim$/);
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const names = new Set<string>();
    for (const stage of stages) {
      for (const instruction of stage.instructions) {
        if (instruction.keyword === 'ADD') throw new Error(`line ${instruction.line}: use COPY`);
        if (instruction.keyword !== 'COPY') continue;
        const from = instruction.flags.from;
        if (from !== undefined) {
          expect(names, `line ${instruction.line}: COPY --from=${from}`).toContain(from);
          continue;
        }
        for (const source of instruction.args.slice(0, -1)) {
          const path = at(source);
          expect(existsSync(path), `line ${instruction.line}: ${source} does not exist`).toBe(true);
          const files = statSync(path).isDirectory() ? listFiles(path).map((f) => relative(repoRoot, f)) : [source];
          const sent = files.filter((f) => !isDockerignored(f));
          expect(sent.length, `line ${instruction.line}: .dockerignore leaves out all of ${source}`).toBeGreaterThan(0);
        }
      }
      if (stage.name !== undefined) names.add(stage.name);
    }
  });

  it('installs production dependencies only, without lifecycle scripts, and takes dist/ from the build', () => {
    const build = stages.find((s) => s.name === 'build');
    expect(build?.instructions.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.raw))).toBe(true);
    const runs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.raw);
    const install = runs.find((r) => /\bnpm ci\b/.test(r));
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/--ignore-scripts/);
    expect(runs.join('\n')).not.toMatch(/\bnpm (?:install|i)\b/);
    const dist = runtime.instructions.find((i) => i.keyword === 'COPY' && i.flags.from === 'build');
    expect(dist?.args).toEqual(['/app/dist', './dist']);
    // bin/shardgate.js loads ../dist/cli/main.js, which tsc writes from src/cli/main.ts.
    expect(readFileSync(at('bin/shardgate.js'), 'utf8')).toContain("'../dist/cli/main.js'");
    const buildConfig = JSON.parse(readFileSync(at('tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } };
    expect(buildConfig.compilerOptions.outDir).toBe('dist');
  });

  it('runs `shardgate` as a non-root user, on port 4000, with a HEALTHCHECK on /healthz', () => {
    const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);
    expect(last('USER')?.args[0]).toMatch(/^(?!root$|0$)\S+$/);
    expect(last('EXPOSE')?.args).toEqual(['4000']);
    const copies = runtimeCopies();
    const entrypoint = last('ENTRYPOINT')?.args ?? [];
    expect(entrypoint[0]).toBe('node');
    expect(copies.get(posix.dirname(entrypoint[1] ?? ''))).toBe('bin');

    const healthcheck = last('HEALTHCHECK');
    expect(healthcheck?.args[0]).toBe('CMD');
    const script = /\["node",\s*"([^"]+)"\]/.exec(healthcheck?.raw ?? '')?.[1] ?? '';
    const source = copies.get(script);
    expect(source, `HEALTHCHECK runs ${script}, which no COPY puts there`).toBeDefined();
    expect(readFileSync(at(source ?? ''), 'utf8')).toContain('/healthz');
  });
});

describe('.dockerignore', () => {
  it('keeps local state, dependencies, build output and tests out of the build context', () => {
    for (const path of [
      'node_modules/pg/package.json',
      'dist/cli/main.js',
      '.shardgate/topology.json',
      '.git/HEAD',
      'test/docker.test.ts',
      'src/sharding/fnv1a32.test.ts',
      'docker-compose.yml',
    ]) {
      expect(isDockerignored(path), path).toBe(true);
    }
    for (const path of ['package.json', 'src/sharding/fnv1a32.ts', 'bin/shardgate.js', 'docker/topology.json']) {
      expect(isDockerignored(path), path).toBe(false);
    }
  });
});

describe('docker/ shell scripts', () => {
  const scripts = listFiles(at('docker'))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => relative(repoRoot, f));

  it('are there', () => {
    expect(scripts.sort()).toEqual([
      'docker/postgres/healthcheck.sh',
      'docker/postgres/primary-init.sh',
      'docker/postgres/replica-entrypoint.sh',
    ]);
  });

  it.each(scripts)('%s is a POSIX sh script that passes `sh -n`', (script) => {
    expect(readFileSync(at(script), 'utf8').split('\n')[0]).toBe('#!/bin/sh');
    const check = spawnSync('sh', ['-n', at(script)], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('docker/gateway-healthcheck.mjs (the image’s HEALTHCHECK)', () => {
  let server: Server;
  let port = 0;
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const check = (forPort: number) =>
    runGroup(process.execPath, [at('docker/gateway-healthcheck.mjs')], {
      env: { PATH: process.env.PATH, PORT: String(forPort), HEALTHCHECK_TIMEOUT_MS: '2000' },
    });

  it('exits 0 when /healthz answers 200', async () => {
    status = 200;
    expect(await check(port)).toEqual({ code: 0, output: '' });
  });

  it('exits 1 when /healthz answers anything else', async () => {
    status = 503;
    const result = await check(port);
    expect(result.code).toBe(1);
    expect(result.output).toContain('HTTP 503');
  });

  it('exits 1 when nothing listens', async () => {
    const [closed] = await freePorts(1);
    expect((await check(closed ?? 1)).code).toBe(1);
  });
});

// --- the PostgreSQL scripts, run outside Docker against a throw-away primary ---

const pgBin = findPostgresBin();
const asRoot = process.getuid?.() === 0;
// PostgreSQL refuses to run as root: as root, run it as `postgres`, like the image.
const postgresIds: { uid?: number; gid?: number } | undefined = asRoot ? postgresUserIds() : {};
const postgresMissing =
  pgBin === undefined
    ? 'PostgreSQL 15+ server binaries not found (Debian package postgresql-15)'
    : postgresIds === undefined
      ? 'running as root, and there is no `postgres` user to run PostgreSQL as (Debian package postgresql-15 creates it)'
      : undefined;

describe('docker/postgres scripts against a local primary: prerequisites', () => {
  it('PostgreSQL server binaries, and a user to run them as', (ctx) => {
    ctx.skip(postgresMissing !== undefined, postgresMissing);
    for (const name of ['initdb', 'postgres', 'pg_basebackup', 'pg_isready', 'psql']) {
      expect(existsSync(join(pgBin ?? '', name)), name).toBe(true);
    }
  });
});

describe.skipIf(postgresMissing !== undefined)('docker/postgres scripts against a local primary', () => {
  const bin = (name: string) => join(pgBin ?? '', name);
  // The scripts run as `postgres`, which may not be able to traverse the
  // checkout (a clone in a 0700 directory, as root): they run from a copy in
  // the test's own directory, which postgres owns.
  let scriptsDir = '';
  const script = (name: string) => join(scriptsDir, name);
  const superPassword = `super-${process.pid}`;
  // Quotes and a space: the scripts must pass it through untouched.
  const replicationPassword = `re'pl "pw" ${process.pid}`;
  const processes: GroupProcess[] = [];
  let dir = '';
  let socketDir = '';
  let primaryData = '';
  let replicaData = '';
  let primaryPort = 0;
  let replicaPort = 0;

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: `${pgBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    LC_ALL: 'C',
    ...extra,
  });
  const asPostgres = (extra: Record<string, string> = {}) => ({ ...postgresIds, cwd: dir, env: env(extra) });
  const query = async <T extends pg.QueryResultRow>(port: number, sql: string): Promise<T[]> => {
    return directQuery<T>({ port, password: superPassword }, sql);
  };
  const healthcheck = (role: string, port: number) =>
    runGroup('sh', [script('healthcheck.sh'), role], { env: env({ PGPORT: String(port), POSTGRES_PASSWORD: superPassword }) });
  const replicaEnv = (extra: Record<string, string> = {}) =>
    env({
      PRIMARY_HOST: '127.0.0.1',
      PRIMARY_PORT: String(primaryPort),
      REPLICATION_USER: 'replicator',
      REPLICATION_PASSWORD: replicationPassword,
      PGDATA: replicaData,
      PRIMARY_WAIT_SECONDS: '20',
      ...extra,
    });
  const startReplica = () => {
    // Started as root when the test runs as root: the script drops to postgres itself.
    const replica = spawnGroup(
      'sh',
      [
        script('replica-entrypoint.sh'),
        ...['-c', `port=${replicaPort}`, '-c', 'listen_addresses=127.0.0.1'],
        ...['-c', `unix_socket_directories=${socketDir}`, '-c', 'fsync=off', '-c', 'cluster_name=test-replica'],
      ],
      { cwd: dir, env: replicaEnv() },
    );
    processes.push(replica);
    return replica;
  };
  const waitForStreaming = (replica: GroupProcess) =>
    waitFor(
      async () => {
        if (replica.hasExited()) throw new Error(`the replica exited:\n${replica.output()}`);
        const rows = await query<{ application_name: string; state: string }>(
          primaryPort,
          'SELECT application_name, state FROM pg_stat_replication',
        );
        return rows.some((r) => r.application_name === 'test-replica' && r.state === 'streaming');
      },
      20_000,
      () => `the replica to stream from the primary; its output:\n${replica.output()}`,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shardgate-docker-'));
    socketDir = join(dir, 'run');
    primaryData = join(dir, 'primary');
    replicaData = join(dir, 'replica');
    mkdirSync(socketDir);
    scriptsDir = join(dir, 'scripts');
    mkdirSync(scriptsDir);
    for (const name of readdirSync(at('docker/postgres'))) {
      copyFileSync(at(`docker/postgres/${name}`), join(scriptsDir, name));
      chmodSync(join(scriptsDir, name), 0o644);
    }
    chmodSync(scriptsDir, 0o755);
    writeFileSync(join(dir, 'pwfile'), `${superPassword}\n`);
    if (asRoot) for (const path of [dir, socketDir, join(dir, 'pwfile')]) chownSync(path, postgresIds?.uid ?? 0, postgresIds?.gid ?? 0);
    [primaryPort = 0, replicaPort = 0] = await freePorts(2);

    const initdb = await runGroup(
      bin('initdb'),
      ['-D', primaryData, '-U', 'postgres', `--pwfile=${join(dir, 'pwfile')}`, '--auth-local=trust', '--no-sync'],
      asPostgres(),
    );
    expect(initdb.code, initdb.output).toBe(0);
    // What the image leaves in pg_hba.conf for connections from other
    // containers, and nothing that would let a replica in without the line
    // primary-init.sh adds (initdb's own loopback lines would).
    writeFileSync(join(primaryData, 'pg_hba.conf'), 'local all all trust\nhost all all all scram-sha-256\n');

    // The server settings of docker-compose.yml's primaries, plus local ones.
    const primary = spawnGroup(
      bin('postgres'),
      [
        ...['-D', primaryData, '-c', `port=${primaryPort}`, '-c', 'listen_addresses=127.0.0.1'],
        ...['-c', `unix_socket_directories=${socketDir}`, '-c', 'fsync=off'],
        ...(service(primaryName(0)).command ?? []).slice(1),
      ],
      asPostgres(),
    );
    processes.push(primary);
    await waitFor(
      async () => {
        if (primary.hasExited()) throw new Error(`the primary exited:\n${primary.output()}`);
        return (await query(primaryPort, 'SELECT 1')).length === 1;
      },
      15_000,
      () => `the primary to accept connections; its output:\n${primary.output()}`,
    );
  }, 60_000);

  afterAll(async () => {
    // Replicas first, then the primary; each by its own process group.
    for (const proc of [...processes].reverse()) await stopGroup(proc);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('primary-init.sh creates the replication role and its pg_hba.conf line, also when the image sources it', async () => {
    const initEnv = {
      PGDATA: primaryData,
      PGHOST: socketDir,
      PGPORT: String(primaryPort),
      POSTGRES_USER: 'postgres',
      REPLICATION_USER: 'replicator',
      REPLICATION_PASSWORD: replicationPassword,
    };
    const executed = await runGroup('sh', [script('primary-init.sh')], asPostgres(initEnv));
    expect(executed.code, executed.output).toBe(0);
    // The image sources a non-executable init script into its own `set -Eeo
    // pipefail` bash: it must work there, twice is harmless, and it must not
    // leave `set -u` behind.
    const sourced = await runGroup(
      'bash',
      ['-c', 'set -Eeo pipefail; . "$1"; echo "after:${SHARDGATE_UNSET_PROBE}"', 'entrypoint', script('primary-init.sh')],
      asPostgres(initEnv),
    );
    expect(sourced.code, sourced.output).toBe(0);
    expect(sourced.output).toContain('after:');

    const hba = readFileSync(join(primaryData, 'pg_hba.conf'), 'utf8').split('\n');
    expect(hba.filter((line) => line === 'host replication replicator all scram-sha-256')).toHaveLength(1);
    const roles = await query(primaryPort, "SELECT rolcanlogin, rolreplication FROM pg_roles WHERE rolname = 'replicator'");
    expect(roles).toEqual([{ rolcanlogin: true, rolreplication: true }]);
    // The image restarts the server after its init scripts; a reload does here.
    await query(primaryPort, 'SELECT pg_reload_conf()');

    const refused = await runGroup('sh', [script('primary-init.sh')], asPostgres({ ...initEnv, REPLICATION_USER: 'bad name' }));
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('REPLICATION_USER');
  });

  it('healthcheck.sh calls the primary a healthy primary, not a replica', async () => {
    expect(await healthcheck('primary', primaryPort)).toMatchObject({ code: 0 });
    const asReplica = await healthcheck('replica', primaryPort);
    expect(asReplica.code).toBe(1);
    expect(asReplica.output).toContain('not a healthy replica');
  });

  it('replica-entrypoint.sh clones the primary and runs a hot standby that streams from it', async () => {
    const replica = startReplica();
    await waitForStreaming(replica);
    expect(replica.output()).toContain('cloning 127.0.0.1');

    // The script exec'd its way to PostgreSQL: the process started is the
    // postmaster, which stops when that pid is signalled, and (as root) it
    // dropped to the postgres user.
    expect(readFileSync(join(replicaData, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(replica.pid));
    if (asRoot) {
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${replica.pid}/status`, 'utf8'))?.[1];
      expect(Number(uid)).toBe(postgresIds?.uid);
    }

    expect(await healthcheck('replica', replicaPort)).toMatchObject({ code: 0 });
    expect((await healthcheck('primary', replicaPort)).code).toBe(1);

    await query(primaryPort, "CREATE TABLE replication_probe (v text); INSERT INTO replication_probe VALUES ('streamed')");
    await waitFor(
      async () => (await query(replicaPort, 'SELECT v FROM replication_probe')).length === 1,
      10_000,
      () => 'the row written on the primary to reach the replica',
    );
    await expect(query(replicaPort, "INSERT INTO replication_probe VALUES ('no')")).rejects.toMatchObject({ code: '25006' });
  }, 40_000);

  it('replica-entrypoint.sh restarts a replica on its clone, which resumes streaming', async () => {
    const first = processes.at(-1);
    if (first === undefined) throw new Error('the previous test started no replica');
    await stopGroup(first);
    const again = startReplica();
    await waitForStreaming(again);
    expect(again.output()).not.toContain('cloning');
  }, 40_000);

  it('replica-entrypoint.sh gives up clearly when the primary never answers, or is not named', async () => {
    const [closed = 1] = await freePorts(1);
    const timedOut = await runGroup('sh', [script('replica-entrypoint.sh')], {
      cwd: dir,
      env: replicaEnv({ PRIMARY_PORT: String(closed), PRIMARY_WAIT_SECONDS: '1', PGDATA: join(dir, 'unreachable') }),
    });
    expect(timedOut.code).toBe(1);
    expect(timedOut.output).toContain(`the primary 127.0.0.1:${closed} did not accept connections within 1s`);

    const { PRIMARY_HOST: _omitted, ...withoutHost } = replicaEnv({ PGDATA: join(dir, 'unnamed') });
    const unnamed = await runGroup('sh', [script('replica-entrypoint.sh')], { cwd: dir, env: withoutHost });
    expect(unnamed.code).not.toBe(0);
    expect(unnamed.output).toContain('PRIMARY_HOST must name the primary');
  }, 20_000);
});

// --- helpers ---

async function composeLinter() {
  let dclint: typeof import('dclint');
  try {
    dclint = await import('dclint');
  } catch (err) {
    throw new Error(`dclint is not installed: it is a devDependency (npm install). ${(err as Error).message}`);
  }
  return new dclint.DCLinter({
    quiet: true,
    debug: false,
    exclude: [],
    // dclint runs every rule not set to 0. Schema validation always runs;
    // these rules catch real mistakes, the style ones (key order, quoting) are off.
    rules: {
      'no-duplicate-container-names': 2,
      'no-duplicate-exported-ports': 2,
      'no-unbound-port-interfaces': 2,
      'no-version-field': 2,
      'require-project-name-field': 2,
      'service-container-name-regex': 2,
      'service-image-require-explicit-tag': 2,
      // gateway and migrate share one image on purpose: both build it.
      'no-build-and-image': 0,
      'no-quotes-in-volumes': 0,
      'require-quotes-in-ports': 0,
      'service-dependencies-alphabetical-order': 0,
      'service-keys-order': 0,
      'service-ports-alphabetical-order': 0,
      'services-alphabetical-order': 0,
      'top-level-properties-order': 0,
    },
  });
}

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The `postgres` user's ids, or undefined when there is no such user. */
function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** The newest PostgreSQL 15+ server binaries: /usr/lib/postgresql/N/bin, else PATH. */
function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .map(Number)
        .filter((v) => v >= 15 && existsSync(join(base, String(v), 'bin', 'initdb')))
        .sort((a, b) => b - a)
    : [];
  if (versions[0] !== undefined) return join(base, String(versions[0]), 'bin');
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? dirname(which.stdout.trim()) : undefined;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createNetServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (err) {
      // A process that exited will not come back: say so now.
      if (err instanceof Error && / exited:/.test(err.message)) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}${lastError ? `\nlast error: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
