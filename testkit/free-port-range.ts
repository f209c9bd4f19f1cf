import { isPortFree } from '../src/cluster/is-port-free.js';

/*
 * Below Linux's ephemeral range (32768-60999), so that outgoing connections
 * do not grab our ports between the check and PostgreSQL's bind; above the
 * usual fixed services, and away from the dev cluster's default 54320.
 */
const LOW = 20_000;
const HIGH = 32_000;

/**
 * The first of `count` consecutive ports that are all free on 127.0.0.1,
 * from a random start, so that test files booting clusters at the same time
 * rarely pick the same range (clusterUp re-checks, and the caller retries).
 */
export async function findFreePortRange(count: number, attempts = 50): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1 between ${LOW} and ${HIGH}`);
}
