import { demoUser } from '../src/cli/seed-demo-users.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { SEQ_PLACEHOLDER } from './load-spec.js';

/*
 * What the bench sends. Every scenario has request bodies for the gateway
 * and (unless it is gateway-only) for the baseline, the number of SQL
 * statements the gateway must send per request (the shards it touches), the
 * throughput target against the baseline, and a check of one response, so
 * that no scenario is ever measured on an error path.
 */

export type ScenarioId = 'point' | 'batch100' | 'page20' | 'deepPage' | 'createUser' | 'entities100';

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly gatewayBodies: readonly string[];
  /** null: gateway-only (the baseline has no federation). */
  readonly baselineBodies: readonly string[] | null;
  /** For the control (the gateway on the baseline's one database), when asked for. */
  readonly controlBodies: readonly string[] | null;
  /** Bodies contain `__SEQ__`, replaced per request by a unique value. */
  readonly unique: boolean;
  /** SQL statements per gateway request: the shards it touches. */
  readonly gatewayStatements: number;
  /** Minimum gateway / baseline throughput; null when there is no target. */
  readonly minRatio: number | null;
  /** Throws unless `body` is a successful response of this scenario. */
  check(body: unknown): void;
}

export interface ScenarioInputs {
  /** Demo users 1..users exist on both sides. */
  readonly users: number;
  readonly shardCount: number;
  /** `endCursor` after `deepPages` pages of 20 on each side. */
  readonly gatewayDeepCursor: string;
  readonly baselineDeepCursor: string;
  /** The control's, when there is one. */
  readonly controlDeepCursor?: string;
  readonly deepPages: number;
  /** Variants of each read request (different ids), cycled through. @default 32 */
  readonly variants?: number;
}

const USER_FIELDS = 'userId name email createdAt';
const POINT = `query Point($userId: ID!) { user(userId: $userId) { ${USER_FIELDS} } }`;
const BATCH = `query Batch($userIds: [ID!]!) { usersByIds(userIds: $userIds) { ${USER_FIELDS} } }`;
const PAGE = `query Page($after: String) { users(first: 20, after: $after) { edges { cursor node { ${USER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const CREATE = `mutation Create($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }`;
const ENTITIES = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { ${USER_FIELDS} } } }`;

export const PAGE_QUERY = PAGE;

export function graphqlBody(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}

/** A small deterministic generator, so every run asks for the same ids. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function idBatches(users: number, size: number, count: number, seed: number): string[][] {
  const next = lcg(seed);
  return Array.from({ length: count }, () => {
    const ids = new Set<string>();
    while (ids.size < Math.min(size, users)) ids.add(demoUser(1 + Math.floor(next() * users)).userId);
    return [...ids];
  });
}

function shardsTouched(ids: readonly string[], shardCount: number): number {
  return new Set(ids.map((id) => shardIdFor(id, shardCount))).size;
}

export function buildScenarios(inputs: ScenarioInputs): Scenario[] {
  const variants = inputs.variants ?? 32;
  const pointIds = idBatches(inputs.users, 1, variants, 1).map((b) => b[0]!);
  const batches = idBatches(inputs.users, 100, variants, 2);
  const batchShards = Math.max(...batches.map((b) => shardsTouched(b, inputs.shardCount)));
  const entityBatches = idBatches(inputs.users, 100, variants, 3);
  const entityShards = Math.max(...entityBatches.map((b) => shardsTouched(b, inputs.shardCount)));
  if (batches.some((b) => shardsTouched(b, inputs.shardCount) !== batchShards)) throw new Error('batches touch different shard counts');

  const control = (bodies: string[]) => (inputs.controlDeepCursor === undefined ? null : bodies);
  const point = pointIds.map((userId) => graphqlBody(POINT, { userId }));
  const batch = batches.map((userIds) => graphqlBody(BATCH, { userIds }));
  const create = [
    graphqlBody(CREATE, {
      input: { userId: `bench-${SEQ_PLACEHOLDER}`, name: 'Bench User', email: `bench-${SEQ_PLACEHOLDER}@example.com` },
    }),
  ];
  return [
    {
      id: 'point',
      title: 'point lookup by userId (replica)',
      gatewayBodies: point,
      baselineBodies: point,
      controlBodies: control(point),
      unique: false,
      gatewayStatements: 1,
      minRatio: 1.0,
      check: (body) => expectData(body, 'user', (u) => isUser(u)),
    },
    {
      id: 'batch100',
      title: 'usersByIds, 100 ids over all shards',
      gatewayBodies: batch,
      baselineBodies: batch,
      controlBodies: control(batch),
      unique: false,
      gatewayStatements: batchShards,
      minRatio: 0.9,
      check: (body) => expectData(body, 'usersByIds', (list) => Array.isArray(list) && list.length === 100 && list.every(isUser)),
    },
    {
      id: 'page20',
      title: 'users(first: 20), first page',
      gatewayBodies: [graphqlBody(PAGE, { after: null })],
      baselineBodies: [graphqlBody(PAGE, { after: null })],
      controlBodies: control([graphqlBody(PAGE, { after: null })]),
      unique: false,
      gatewayStatements: inputs.shardCount,
      minRatio: 0.8,
      check: (body) => expectData(body, 'users', isPageOf20),
    },
    {
      id: 'deepPage',
      title: `users(first: 20), page ${inputs.deepPages + 1} by cursor`,
      gatewayBodies: [graphqlBody(PAGE, { after: inputs.gatewayDeepCursor })],
      baselineBodies: [graphqlBody(PAGE, { after: inputs.baselineDeepCursor })],
      controlBodies: inputs.controlDeepCursor === undefined ? null : [graphqlBody(PAGE, { after: inputs.controlDeepCursor })],
      unique: false,
      gatewayStatements: inputs.shardCount,
      minRatio: 0.8,
      check: (body) => expectData(body, 'users', isPageOf20),
    },
    {
      id: 'createUser',
      title: 'createUser (primary, a new id each request)',
      gatewayBodies: create,
      baselineBodies: create,
      controlBodies: control(create),
      unique: true,
      // The email's claim on its lookup shard, then the user row (docs/email-lookup.md).
      gatewayStatements: 2,
      minRatio: 0.9,
      check: (body) => expectData(body, 'createUser', (u) => isUser(u)),
    },
    {
      id: 'entities100',
      title: 'federation _entities, 100 representations',
      gatewayBodies: entityBatches.map((ids) =>
        graphqlBody(ENTITIES, { representations: ids.map((userId) => ({ __typename: 'User', userId })) }),
      ),
      baselineBodies: null,
      controlBodies: null,
      unique: false,
      gatewayStatements: entityShards,
      minRatio: null,
      check: (body) => expectData(body, '_entities', (list) => Array.isArray(list) && list.length === 100 && list.every(isUser)),
    },
  ];
}

function isUser(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { userId?: unknown }).userId === 'string';
}

function isPageOf20(value: unknown): boolean {
  const page = value as { edges?: { node?: unknown }[]; pageInfo?: { endCursor?: unknown } } | null;
  return (
    Array.isArray(page?.edges) &&
    page.edges.length === 20 &&
    page.edges.every((e) => isUser(e.node)) &&
    typeof page.pageInfo?.endCursor === 'string'
  );
}

/** Throws unless `body` is `{ data: { [field]: ok } }` without errors. */
export function expectData(body: unknown, field: string, ok: (value: unknown) => boolean): void {
  const response = body as { data?: Record<string, unknown> | null; errors?: unknown[] } | null;
  if (response?.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors).slice(0, 500)}`);
  const value = response?.data?.[field];
  if (!ok(value)) throw new Error(`unexpected ${field}: ${JSON.stringify(value ?? null).slice(0, 300)}`);
}
