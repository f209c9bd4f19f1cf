#!/usr/bin/env node
// Installs what the test suite needs from the system when it is missing:
// PostgreSQL server binaries (the tests boot real clusters), Patroni and etcd
// (the `cluster up --ha patroni` tests), Chromium (the GraphiQL browser test),
// and Prometheus with promtool (the alerting rules, the dashboard's queries and
// /metrics are checked with the real tools). As root with apt-get it installs them; otherwise it
// says exactly what to install and fails, rather than letting tests skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function hasPostgres() {
  if (onPath('initdb') && onPath('pg_ctl') && onPath('pg_basebackup')) return true;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return false;
  return readdirSync(root).some(
    (v) => Number(v) >= 15 && existsSync(`${root}/${v}/bin/initdb`) && existsSync(`${root}/${v}/bin/pg_basebackup`),
  );
}

// Patroni runs on the system's Python (/usr/bin/python3), not whatever python3 is first on PATH.
function hasPythonEtcd() {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  return spawnSync(python, ['-c', 'import etcd'], { stdio: 'ignore' }).status === 0;
}

const missing = [];
if (!hasPostgres()) missing.push('postgresql');
if (!onPath('patroni') || !onPath('patronictl')) missing.push('patroni');
if (!onPath('etcd')) missing.push('etcd-server');
if (!hasPythonEtcd()) missing.push('python3-etcd');
if (!existsSync(CHROMIUM) && process.env.SHARDGATE_SKIP_BROWSER !== '1') missing.push('chromium');
// Debian's package `prometheus` brings both binaries.
if (!onPath('prometheus') || !onPath('promtool')) missing.push('prometheus');

if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !onPath('apt-get')) {
  console.error(`The tests need these system packages: ${missing.join(' ')}`);
  console.error(`Install them, e.g.: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  if (missing.includes('chromium')) console.error('(or set SHARDGATE_SKIP_BROWSER=1 to skip the GraphiQL browser test)');
  process.exit(1);
}

console.log(`installing missing system packages: ${missing.join(' ')} (apt-get)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
