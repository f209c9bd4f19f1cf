import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { normalizeDocumentId, sha256Hex, type TrustedDocuments } from '../config/trusted-documents.js';
import { ErrorCode } from '../repository/error-codes.js';

function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_FOUND, http: { status: 400 } } });
}

/** The document id a client sent: `extensions.persistedQuery.sha256Hash` (Apollo) or `documentId` (GraphQL over HTTP). */
function sentId(params: { extensions?: Record<string, unknown> | null; documentId?: unknown }): unknown {
  const persisted = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return persisted?.sha256Hash ?? params.documentId;
}

/**
 * Runs only trusted documents. A request names one by hash and sends no
 * text (or sends exactly the trusted text with it, as Apollo's persisted
 * query link does on a retry); anything else answers
 * PERSISTED_QUERY_NOT_FOUND before it is parsed, so nothing runs.
 */
export function useTrustedDocuments(documents: TrustedDocuments): Plugin {
  return {
    onParams({ params, setParams }) {
      const raw = sentId(params as never);
      const id = raw === undefined || raw === null ? null : normalizeDocumentId(raw);
      if (raw !== undefined && raw !== null && !id) throw notFound('The document id is not a sha256 hash.');
      const query = typeof params.query === 'string' && params.query.length > 0 ? params.query : null;
      if (id) {
        const trusted = documents.get(id);
        if (!trusted) throw notFound(`No trusted document has the hash ${id}.`);
        if (query !== null && query !== trusted) throw notFound('The query text is not the trusted document of that hash.');
        // `documentId` is not a standard parameter: yoga's parameter check must not see it.
        const { documentId: _, ...rest } = params as typeof params & { documentId?: unknown };
        setParams({ ...rest, query: trusted });
        return;
      }
      if (query !== null && documents.has(sha256Hex(query))) return;
      throw notFound('Only trusted documents run here: send the document hash (extensions.persistedQuery.sha256Hash or documentId).');
    },
  };
}
