#!/usr/bin/env node
// What grew between two V8 heap snapshots (.heapsnapshot files, as written by
// `node --heapsnapshot-signal` or DevTools): the heap's objects grouped by
// kind and constructor name, with their count and total self size in each
// snapshot, the groups that grew most first. Self size only (no retained
// sizes): enough to see which kind of object accumulates; DevTools' comparison
// view then says what holds it.
//
//   node scripts/heap-snapshot-summary.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
if (positionals.length !== 2) {
  console.error('usage: heap-snapshot-summary.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top 25]');
  process.exit(2);
}
const top = Number(values.top ?? 25);

/** Count and self size per "type name" group of one snapshot. */
function groups(path) {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(path, 'utf8'));
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Strings and code are grouped by kind only: their names are their contents.
    const name = type === 'object' || type === 'closure' || type === 'native' ? strings[nodes[i + nameAt]] : '';
    const key = `${type} ${name}`.trim();
    const size = nodes[i + sizeAt];
    total += size;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += size;
    out.set(key, g);
  }
  return { out, total };
}

const before = groups(positionals[0]);
const after = groups(positionals[1]);
const mib = (b) => (b / 1048576).toFixed(2);
console.log(`total self size: ${mib(before.total)} MiB -> ${mib(after.total)} MiB`);
const rows = [...new Set([...before.out.keys(), ...after.out.keys()])].map((key) => {
  const b = before.out.get(key) ?? { count: 0, size: 0 };
  const a = after.out.get(key) ?? { count: 0, size: 0 };
  return { key, b, a, grew: a.size - b.size };
});
rows.sort((x, y) => y.grew - x.grew);
console.log('group | count before -> after | MiB before -> after | grew MiB');
for (const r of rows.slice(0, top)) {
  console.log(`${r.key.slice(0, 60)} | ${r.b.count} -> ${r.a.count} | ${mib(r.b.size)} -> ${mib(r.a.size)} | ${mib(r.grew)}`);
}
