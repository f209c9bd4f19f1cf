import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';

export interface SubgraphSource {
  name: string;
  /** The subgraph's GraphQL endpoint, as the gateway will call it. */
  url: string;
  /** Its SDL with federation directives (`_service { sdl }` or `printSubgraphSchema`). */
  sdl: string;
}

/** Composes the subgraphs into a supergraph SDL, as `rover supergraph compose` would; any composition error throws. */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors?.length) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  if (!result.supergraphSdl) throw new Error('composition returned no supergraph');
  return result.supergraphSdl;
}

export interface RunningGateway {
  /** The gateway's GraphQL endpoint. */
  readonly url: string;
  stop(): Promise<void>;
}

const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

/**
 * A real Apollo Federation gateway (`@apollo/gateway` inside Apollo Server,
 * with a static supergraph: no polling, no Apollo Studio) listening on a free
 * port of 127.0.0.1. It plans each query and calls the subgraphs over HTTP.
 */
export async function startSupergraphGateway(supergraphSdl: string): Promise<RunningGateway> {
  const gateway = new ApolloGateway({ supergraphSdl, logger: quiet });
  const server = new ApolloServer({ gateway, logger: quiet });
  try {
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    // `stop` also stops the gateway and closes the HTTP server, draining connections.
    return { url, stop: () => server.stop() };
  } catch (err) {
    await server.stop().catch(() => {});
    throw err;
  }
}
