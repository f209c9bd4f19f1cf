import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewaySchema } from './gateway-schema.js';

// The operations codegen.ts types for clients: they must stay valid as the schema changes.
const DIR = resolve(import.meta.dirname, '../../examples/operations');

describe('examples/operations', () => {
  const files = readdirSync(DIR).filter((name) => name.endsWith('.graphql'));

  it('exist, each operation named', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const doc = parse(readFileSync(join(DIR, file), 'utf8'));
      for (const def of doc.definitions) expect(def.kind === 'OperationDefinition' && def.name?.value, file).toBeTruthy();
    }
  });

  it('validate against the gateway schema', () => {
    const schema = gatewaySchema();
    for (const file of files) {
      const errors = validate(schema, parse(readFileSync(join(DIR, file), 'utf8')));
      expect(
        errors.map((e) => e.message),
        file,
      ).toEqual([]);
    }
  });
});
