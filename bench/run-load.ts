import autocannon from 'autocannon';
import { SEQ_PLACEHOLDER, type LoadResult, type LoadSpec } from './load-spec.js';

/*
 * The load generator, in a child process of its own so that it never shares
 * an event loop with a server it measures. Receives one LoadSpec over IPC,
 * runs autocannon, replies with a LoadResult and exits.
 */

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  let seq = 0;
  const prefix = spec.uniquePrefix;
  const requests = spec.bodies.map((body) =>
    prefix === undefined
      ? { method: 'POST', headers: HEADERS, body }
      : {
          method: 'POST',
          headers: HEADERS,
          setupRequest: (request: object) => ({ ...request, body: body.replaceAll(SEQ_PLACEHOLDER, `${prefix}-${++seq}`) }),
        },
  );
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    timeout: 10,
    requests,
  });
  const ok = result['2xx'];
  return {
    requests: ok,
    durationSeconds: result.duration,
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

process.once('message', (spec: LoadSpec) => {
  runAutocannon(spec).then(
    (result) => process.send?.({ ok: true, result }, () => process.disconnect()),
    (err: unknown) => process.send?.({ ok: false, message: err instanceof Error ? err.message : String(err) }, () => process.disconnect()),
  );
});
