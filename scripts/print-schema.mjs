#!/usr/bin/env node
// `npm run schema`: writes the printed subgraph SDL to schema/schema.graphql (or
// the path given). `npm run schema -- --module PATH [--module PATH2] [FILE]`
// prints the schema with those modules' types to stdout (or writes FILE). A
// script, not part of the gateway: it reads the compiled schema from dist/
// (the npm script builds first) and writes a file.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printGatewaySchema } from '../dist/modules/gateway-schema.js';
import { applyModules } from '../dist/modules/apply-modules.js';
import { loadModules } from '../dist/modules/load-modules.js';

const { values, positionals } = parseArgs({ options: { module: { type: 'string', multiple: true } }, allowPositionals: true });
const modules = values.module ?? [];
try {
  applyModules(await loadModules(modules));
} catch (err) {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
}
const target = positionals[0] ?? (modules.length > 0 ? null : 'schema/schema.graphql');
if (target === null) {
  process.stdout.write(printGatewaySchema());
} else {
  writeFileSync(target, printGatewaySchema());
  process.stdout.write(`wrote ${target}\n`);
}
