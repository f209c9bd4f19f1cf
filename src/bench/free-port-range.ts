import { isPortFree } from '../cluster/is-port-free.js';

// Below Linux's ephemeral range and above the dev cluster's 54320 neighbourhood
// (the same choice as the tests' helper, which src/ cannot import).
const LOW = 20_000;
const HIGH = 32_000;

/** The first of `count` consecutive free ports on 127.0.0.1, from a random start. */
export async function findFreePortRange(count: number, attempts = 50): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1 between ${LOW} and ${HIGH}`);
}
