import { ClusterError } from './cluster-error.js';
import { type ClusterNode, HOST } from './cluster-layout.js';
import { isPortFree } from './is-port-free.js';
import { settleAll } from '../util/settle-all.js';

/** Refuse to start nodes whose port another process holds, naming every such port and node. */
export async function assertPortsFree(nodes: readonly ClusterNode[]): Promise<void> {
  const busy: ClusterNode[] = [];
  await settleAll(nodes.map(async (n) => (await isPortFree(n.port, HOST)) || busy.push(n)));
  if (busy.length === 0) return;
  busy.sort((a, b) => a.port - b.port);
  const list = busy.map((n) => `${n.port} (${n.label})`).join(', ');
  throw new ClusterError(
    'PORT_IN_USE',
    `port${busy.length > 1 ? 's' : ''} ${list} ${busy.length > 1 ? 'are' : 'is'} already in use on ${HOST} by another process; ` +
      'stop it or choose another --base-port',
  );
}
