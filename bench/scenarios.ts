import { demoUser } from '../src/cli/seed-demo-users.js';
import { emailLookupKey } from '../src/sharding/email-lookup-key.js';
import { shardIdFor } from '../src/sharding/shard-id-for.js';
import { expectedPageSize } from './bench-orders.js';
import { SEQ_PLACEHOLDER } from './load-spec.js';

/*
 * What the bench sends. Every scenario has request bodies for the gateway
 * and (unless it is gateway-only) for the baseline, the number of SQL
 * statements the gateway must send per request (the shards it touches), the
 * throughput target against the baseline, and a check of one response, so
 * that no scenario is ever measured on an error path.
 */

export type ScenarioId = 'point' | 'batch100' | 'page20' | 'deepPage' | 'createUser' | 'entities100' | 'nestedOrders' | 'usersByEmail';

export const SCENARIO_IDS: readonly ScenarioId[] = [
  'point',
  'batch100',
  'page20',
  'deepPage',
  'createUser',
  'entities100',
  'nestedOrders',
  'usersByEmail',
];

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
  /** Statements of each gateway body, when they differ (the counted requests then average them). */
  readonly statementsPerBody?: readonly number[];
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
/** A user's first orders per user of a batch: the nested batching across a request. */
export const NESTED_ORDERS_FIRST = 5;
const NESTED = `query Nested($userIds: [ID!]!) { usersByIds(userIds: $userIds) { userId name orders(first: ${NESTED_ORDERS_FIRST}) { edges { node { id status totalCents currency createdAt } } pageInfo { hasNextPage endCursor } } } }`;
const BY_EMAIL = `query ByEmail($email: String!) { usersByEmail(email: $email) { ${USER_FIELDS} } }`;
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

  const nestedBatches = idBatches(inputs.users, 100, variants, 4);
  const nestedShards = Math.max(...nestedBatches.map((b) => shardsTouched(b, inputs.shardCount)));
  const nested = nestedBatches.map((userIds) => graphqlBody(NESTED, { userIds }));
  const emailUsers = idBatches(inputs.users, 1, variants, 5).map((b) => Number(b[0]!.slice('user-'.length)));
  const emails = emailUsers.map((i) => {
    const { email } = demoUser(i);
    // Not as stored: the match is case-insensitive on both sides.
    return email.charAt(0).toUpperCase() + email.slice(1);
  });
  const byEmail = emails.map((email) => graphqlBody(BY_EMAIL, { email }));
  const sharingShard = sameShardEmails(emailUsers, inputs.shardCount);
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
    {
      id: 'nestedOrders',
      title: `usersByIds(100) { orders(first: ${NESTED_ORDERS_FIRST}) }, nested batching`,
      gatewayBodies: nested,
      baselineBodies: nested,
      controlBodies: control(nested),
      unique: false,
      // The users' statement and the orders' statement on every shard touched.
      gatewayStatements: 2 * nestedShards,
      minRatio: 0.9,
      check: (body) => expectData(body, 'usersByIds', isNestedOrdersBatch),
    },
    {
      id: 'usersByEmail',
      title: `usersByEmail (${sharingShard} of ${emails.length} emails on their owner's shard)`,
      gatewayBodies: byEmail,
      baselineBodies: byEmail,
      controlBodies: control(byEmail),
      unique: false,
      // The lookup on the email's shard, then the owner's row on the user's shard; one statement when the shards are one.
      gatewayStatements: 2,
      statementsPerBody: emailUsers.map((i) => (sameShardEmails([i], inputs.shardCount) === 1 ? 1 : 2)),
      minRatio: null,
      check: (body) => expectData(body, 'usersByEmail', (list) => Array.isArray(list) && list.length === 1 && list.every(isUser)),
    },
  ];
}

/** How many of the demo users' emails have their lookup row on the user's own shard. */
export function sameShardEmails(users: readonly number[], shardCount: number): number {
  return users.filter((i) => {
    const { userId, email } = demoUser(i);
    return shardIdFor(emailLookupKey(email), shardCount) === shardIdFor(userId, shardCount);
  }).length;
}

interface NestedUser {
  userId?: unknown;
  orders?: { edges?: { node?: { id?: unknown } }[]; pageInfo?: { hasNextPage?: unknown } };
}

/** 100 users, each with exactly the page of orders the bench's data gives it (see bench-orders.ts). */
export function isNestedOrdersBatch(value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== 100) return false;
  return (value as (NestedUser | null)[]).every((u) => {
    if (!u || !isUser(u) || !Array.isArray(u.orders?.edges)) return false;
    const expected = expectedPageSize(u.userId as string, NESTED_ORDERS_FIRST);
    return (
      u.orders.edges.length === expected &&
      u.orders.edges.every((e) => typeof e.node?.id === 'string') &&
      typeof u.orders.pageInfo?.hasNextPage === 'boolean'
    );
  });
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

/** The statements per request expected over the first `counted` requests of `scenario` (bodies cycled, as sent when counting). */
export function expectedStatements(scenario: Scenario, counted: number): number {
  const perBody = scenario.statementsPerBody;
  if (!perBody || counted === 0) return scenario.gatewayStatements;
  let sum = 0;
  for (let i = 0; i < counted; i++) sum += perBody[i % perBody.length]!;
  return sum / counted;
}
