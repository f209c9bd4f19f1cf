import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { ShardManager } from '../sharding/shard-manager.js';
import { readiness } from './readiness.js';

// A fresh object per response: the fetch ponyfill stores the init object and adds content-length to it.
const jsonHeaders = () => ({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });

/**
 * `/healthz`: 200 while the process is alive. `/readyz` (yoga's readiness
 * check, answering with our JSON): 200 when every shard can take writes,
 * else 503 naming the shards that cannot; it returns to 200 by itself when
 * the health checker sees them again. Either way it names the fenced nodes,
 * if any.
 */
export function useHealthEndpoints(manager: ShardManager, isShuttingDown: () => boolean): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        useReadinessCheck({
          endpoint: '/readyz',
          check: ({ fetchAPI }) => {
            const state = readiness(manager);
            const shuttingDown = isShuttingDown();
            const ready = state.ready && !shuttingDown;
            const body = {
              status: ready ? 'ready' : 'unavailable',
              ...(shuttingDown ? { shuttingDown: true } : {}),
              unavailableShards: state.unavailableShards,
              // Only when there are some: a healthy cluster's answer stays as it always was.
              ...(state.fencedNodes.length > 0 ? { fencedNodes: state.fencedNodes } : {}),
            };
            return new fetchAPI.Response(JSON.stringify(body), { status: ready ? 200 : 503, headers: jsonHeaders() });
          },
        }),
      );
    },
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(new fetchAPI.Response(JSON.stringify({ status: 'ok' }), { status: 200, headers: jsonHeaders() }));
      }
    },
  };
}
