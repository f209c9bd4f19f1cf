import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

// The code is formatted by prettier (`npm run format`); a file that is not fails here, with its name.
const ROOT = resolve(import.meta.dirname, '..');

it('every source file is formatted (npm run format)', () => {
  let unformatted = '';
  try {
    execFileSync(process.execPath, [resolve(ROOT, 'node_modules/prettier/bin/prettier.cjs'), '--list-different', '**/*.{ts,mts,js,mjs}'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    unformatted = String((err as { stdout?: string }).stdout ?? err);
  }
  expect(unformatted.split('\n').filter(Boolean)).toEqual([]);
  // Prettier parses every file of the tree: CPU-bound, a minute or more while other test files load the machine.
}, 240_000);
