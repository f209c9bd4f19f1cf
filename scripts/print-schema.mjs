#!/usr/bin/env node
// `npm run schema`: writes the printed subgraph SDL to schema/schema.graphql (or
// the path given). A script, not part of the gateway: it reads the compiled
// schema from dist/ (the npm script builds first) and writes a file.
import { writeFileSync } from 'node:fs';
import { printGatewaySchema } from '../dist/graphql/schema/index.js';

const target = process.argv[2] ?? 'schema/schema.graphql';
writeFileSync(target, printGatewaySchema());
process.stdout.write(`wrote ${target}\n`);
