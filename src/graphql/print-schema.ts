import { writeFileSync } from 'node:fs';
import { printGatewaySchema } from './schema/index.js';

/** `npm run schema`: writes the printed subgraph SDL to schema/schema.graphql (or the path given). */
const target = process.argv[2] ?? 'schema/schema.graphql';
writeFileSync(target, printGatewaySchema());
process.stdout.write(`wrote ${target}\n`);
