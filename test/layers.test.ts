import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The layers of src/ (see docs/architecture.md), enforced: a module imports
 * only from its own layer and the layers it is allowed to build on, never
 * from one above it, and src/ never reaches into the bench, the tests or
 * their toolkit. Pure: it reads the import lists of the source files.
 */

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** What each layer may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  // The leaf: option types, defaults and parsing, nothing of the runtime.
  config: [],
  sharding: ['config', 'util'],
  repository: ['sharding', 'config', 'util'],
  graphql: ['repository', 'sharding', 'config', 'util'],
  observability: ['repository', 'sharding', 'config', 'util'],
  // Modules (src/modules): the public module API, loading module files, their migrations and their place in the schema.
  modules: ['graphql', 'observability', 'repository', 'sharding', 'config', 'util'],
  // The server serves the modules' schema: the built-in entities (User, Order) are modules, so even the default schema is theirs.
  server: ['modules', 'graphql', 'observability', 'repository', 'sharding', 'config', 'util'],
  // The local development cluster: a launcher beside the gateway, not under it.
  cluster: ['sharding', 'config', 'util'],
  // `shardgate reshard`: a workflow over the door, opening shards as a gateway does (openShards is the repository's), never the server.
  reshard: ['repository', 'sharding', 'config', 'util'],
  cli: ['reshard', 'server', 'modules', 'cluster', 'graphql', 'observability', 'repository', 'sharding', 'config', 'util'],
};

/**
 * Only the door talks to PostgreSQL, and the dev cluster's admin modules (src/cluster/*-admin.ts), which
 * must before any topology exists.
 * Unit tests elsewhere may build pg's error objects to feed the code under test.
 */
const MAY_IMPORT_PG = (file: string) =>
  file.startsWith('repository/') || /^cluster\/[a-z-]+-admin\.ts$/.test(file) || file.endsWith('.test.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(path: string): string[] {
  return ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Every import of src/ that breaks a rule, as `from → to: why`. */
function violations(): string[] {
  const found: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path);
    const layer = file.split('/')[0]!;
    for (const spec of importsOf(path)) {
      if (spec === 'pg' || spec.startsWith('pg/')) {
        if (!MAY_IMPORT_PG(file))
          found.push(`${file} → ${spec}: only src/repository (and the dev cluster's src/cluster/*-admin.ts) may import pg`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(path), spec));
      if (target.startsWith('..')) {
        found.push(`${file} → ${spec}: src/ must not import from outside src/`);
        continue;
      }
      const targetLayer = target.split('/')[0]!;
      if (!(layer in ALLOWED)) found.push(`${file}: unknown layer ${layer} (add it to test/layers.test.ts)`);
      else if (targetLayer !== layer && !ALLOWED[layer]!.includes(targetLayer))
        found.push(`${file} → ${target}: ${layer} may not import ${targetLayer}`);
    }
  }
  return [...new Set(found)];
}

/** The built-in modules (User, Order): folders under src/modules/ that only the module API may reach outside of. */
const BUILTIN_MODULE_DIRS = ['modules/users', 'modules/orders'];

/**
 * Imports of a built-in module's files (tests aside) that leave its folder
 * other than for the module API's types: a private path into the gateway.
 */
function privatePaths(): string[] {
  const found: string[] = [];
  for (const dir of BUILTIN_MODULE_DIRS) {
    for (const path of sourceFiles(join(SRC, dir))) {
      if (path.endsWith('.test.ts')) continue;
      const text = readFileSync(path, 'utf8');
      for (const spec of importsOf(path)) {
        if (spec.startsWith('node:')) continue;
        const target = relative(SRC, resolve(dirname(path), spec));
        if (spec.startsWith('.') && target.startsWith(`${dir}/`)) continue;
        const typeOnly = new RegExp(`import type [^;]*from '${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`).test(text);
        if (target === 'modules/module-api.js' && typeOnly) continue;
        found.push(
          `${relative(SRC, path)} → ${spec}: a built-in module uses only the module API (type-only imports of module-api.js) and its own folder`,
        );
      }
    }
  }
  return found;
}

describe('layers of src/', () => {
  it('the built-in modules reach the gateway only through the public module API', () => {
    expect(privatePaths()).toEqual([]);
    expect(sourceFiles(join(SRC, 'modules/orders')).length).toBeGreaterThan(5);
  });

  it('no module imports a layer above it, pg stays behind the door, src/ stands alone', () => {
    expect(violations()).toEqual([]);
  });

  it('sees the imports it checks (a checker that reads nothing would pass anything)', () => {
    const database = importsOf(join(SRC, 'repository/database.ts'));
    expect(database).toContain('../sharding/shard-manager.js');
    expect(importsOf(join(SRC, 'repository/node-pool.ts'))).toContain('pg');
    expect(sourceFiles(SRC).length).toBeGreaterThan(50);
  });
});
