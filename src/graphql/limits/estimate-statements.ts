import {
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { MAX_CLAIM_STATEMENTS } from '../../repository/email-lookup.js';

export interface StatementEstimate {
  /** SQL statements the operation may send at most, for this shard count. */
  readonly statements: number;
  /** Representations asked of `_entities`, over every `_entities` field. */
  readonly representations: number;
}

/**
 * A mutation field: its one write. The WAL position read behind a write (for
 * consistency tokens) is pipelined on the write's connection within the same
 * call at the door, so it is not a statement of its own, here or in the
 * door's budget.
 */
export const STATEMENTS_PER_MUTATION = 1;

export interface EstimateOptions {
  /** Unique emails: a claim may have to check and take over a stale one, and an email has at most one owner. @default false */
  readonly uniqueEmails?: boolean;
  /** What the fields cost: declared by the modules (the built-in ones included). @default none: only mutations cost, one each */
  readonly fieldCosts?: FieldCosts;
}

/**
 * A field's cost: `perShard` statements on every shard, plus `fixed` ones,
 * plus what each selection of a named sub-field adds (`perSelectionOf`); a
 * `lookup` joins the request's batch of that name (ids from the list
 * argument `ids`, else one), which costs at most one statement per shard.
 */
export interface FieldCost {
  readonly perShard?: number;
  readonly fixed?: number;
  readonly perSelectionOf?: Readonly<Record<string, FieldCost>>;
  readonly lookup?: { readonly batch: string; readonly ids?: string };
  /** Email claims the field makes: one statement each, up to MAX_CLAIM_STATEMENTS with unique emails. */
  readonly emailClaims?: number;
  /** The field's cost instead, when emails are unique. */
  readonly withUniqueEmails?: FieldCost;
}

/**
 * What the fields of the schema cost, by field name: root query fields,
 * mutation fields, and fields below the root (counted by name whatever their
 * parent type: the estimate errs high).
 */
export interface FieldCosts {
  readonly query: ReadonlyMap<string, FieldCost>;
  readonly mutation: ReadonlyMap<string, FieldCost>;
  readonly nested: ReadonlyMap<string, FieldCost>;
  /** What one `_entities` representation of a type costs, by type name. @default none */
  readonly entities?: ReadonlyMap<string, FieldCost>;
}

/** The gateway's settings a cost depends on, and the live shard count. */
interface Costing {
  readonly shardCount: number;
  readonly uniqueEmails: boolean;
}

/** The cost that applies under these settings. */
function effective(cost: FieldCost | undefined, costing: Costing): FieldCost | undefined {
  return costing.uniqueEmails && cost?.withUniqueEmails ? cost.withUniqueEmails : cost;
}

function statementsOf(cost: FieldCost | undefined, costing: Costing): number {
  const c = effective(cost, costing);
  if (!c) return 0;
  const claims = (c.emailClaims ?? 0) * (costing.uniqueEmails ? MAX_CLAIM_STATEMENTS : 1);
  return Math.max(0, (c.perShard ?? 0) * costing.shardCount + (c.fixed ?? 0) + claims);
}

/** A declared cost, with what each selection of its named sub-fields adds. */
function selectedStatements(cost: FieldCost | undefined, subFields: () => ReadonlyMap<string, FieldNode[]>, costing: Costing): number {
  const c = effective(cost, costing);
  if (!c) return 0;
  let statements = statementsOf(c, costing);
  if (c.perSelectionOf) {
    for (const nodes of subFields().values()) statements += statementsOf(c.perSelectionOf[nodes[0]!.name.value], costing);
  }
  return statements;
}

type Variables = Readonly<Record<string, unknown>> | null | undefined;

/**
 * The most SQL statements an operation can send, from its document and
 * variables and the live shard count, before anything runs. Each field
 * costs what its module declared (`fieldCosts`; the users and orders of the
 * gateway are modules too):
 * - a root field or a field below it: its cost per selection (each alias is
 *   a resolver call of its own, and nothing shares their statements), plus
 *   what each selection of a named sub-field adds (`totalCount` asking every
 *   shard again);
 * - lookups by id through one declared batch (`user`, `usersByIds`,
 *   `order`, `_entities` of a type...) with one consistency share it: at
 *   most one statement per shard, and never more than the ids asked;
 * - a mutation field without a declared cost: STATEMENTS_PER_MUTATION.
 * Fields under `@skip(if: true)`/`@include(if: false)` cost nothing; other
 * fields are counted whatever their arguments, so the estimate never falls
 * short of what execution does. Returns zeros when the operation to run
 * cannot be found (execution then fails without sending anything).
 */
export function estimateStatements(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
  shardCount: number,
  options: EstimateOptions = {},
): StatementEstimate {
  const operation = selectOperation(document, operationName);
  if (!operation) return { statements: 0, representations: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const vars = variables ?? {};
  const rootFields = collectFields([operation.selectionSet], fragments, vars);
  const costs = options.fieldCosts;
  const costing: Costing = { shardCount, uniqueEmails: options.uniqueEmails ?? false };

  if (operation.operation === 'mutation') {
    let statements = 0;
    for (const [, nodes] of rootFields) {
      const name = nodes[0]!.name.value;
      if (name.startsWith('__')) continue;
      const cost = costs?.mutation.get(name);
      // What the result selects may read more (an order's user, a user's orders).
      statements +=
        (cost ? statementsOf(cost, costing) : STATEMENTS_PER_MUTATION) + nestedStatements(nodes, fragments, vars, costing, costs);
    }
    return { statements, representations: 0 };
  }

  let statements = 0;
  let representations = 0;
  // Lookups through a declared batch: one batch per (batch, consistency), at most one statement per shard.
  const lookups = new Map<string, number>();
  const addLookups = (batch: string, consistency: string, n: number) =>
    lookups.set(`${batch}\n${consistency}`, (lookups.get(`${batch}\n${consistency}`) ?? 0) + n);
  for (const [, nodes] of rootFields) {
    const field = nodes[0]!;
    const subFields = () =>
      collectFields(
        nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
        fragments,
        vars,
      );
    statements += nestedStatements(nodes, fragments, vars, costing, costs);
    if (field.name.value === '_entities') {
      const reps = argument(field, 'representations');
      const n = listLength(reps, vars);
      representations += n;
      for (const [typename, count] of entityKinds(reps, vars, n, costs?.entities)) {
        const cost = effective(costs!.entities!.get(typename)!, costing)!;
        statements += count * statementsOf(cost, costing);
        if (cost.lookup) addLookups(cost.lookup.batch, 'EVENTUAL', count);
      }
      continue;
    }
    // _service, __typename, __schema, __type: no SQL; any other field: what its module declared.
    const cost = effective(costs?.query.get(field.name.value), costing);
    statements += selectedStatements(cost, subFields, costing);
    if (cost?.lookup) {
      const ids = cost.lookup.ids === undefined ? 1 : listLength(argument(field, cost.lookup.ids), vars);
      addLookups(cost.lookup.batch, consistencyOf(field, vars), ids);
    }
  }
  for (const ids of lookups.values()) statements += Math.min(shardCount, ids);
  return { statements, representations };
}

/** What the fields below `nodes` (a root field's selections) cost, at any depth. */
function nestedStatements(
  nodes: readonly FieldNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  vars: Readonly<Record<string, unknown>>,
  costing: Costing,
  fieldCosts?: FieldCosts,
): number {
  let statements = 0;
  // Bounded by the document: the depth limit and the token limit have run before the estimate.
  const stack: (readonly FieldNode[])[] = [nodes];
  while (stack.length > 0) {
    const parent = stack.pop()!;
    const sets = parent.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    if (sets.length === 0) continue;
    for (const [, children] of collectFields(sets, fragments, vars)) {
      const sub = () =>
        collectFields(
          children.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
          fragments,
          vars,
        );
      if (fieldCosts) statements += selectedStatements(fieldCosts.nested.get(children[0]!.name.value), sub, costing);
      stack.push(children);
    }
  }
  return statements;
}

/**
 * How many representations of `_entities` are of each type a module
 * declared an entity cost for, by `__typename` when it can be read; one that
 * cannot, or names no declared type, counts as every type (the estimate errs
 * high: resolving it fails without SQL, or reads one of them).
 */
function entityKinds(
  node: ValueNode | undefined,
  vars: Readonly<Record<string, unknown>>,
  n: number,
  declared: ReadonlyMap<string, FieldCost> | undefined,
): Map<string, number> {
  const typenames: unknown[] = [];
  if (node?.kind === Kind.VARIABLE) {
    const value = vars[node.name.value];
    if (Array.isArray(value)) for (const v of value) typenames.push((v as { __typename?: unknown } | null)?.__typename);
  } else if (node?.kind === Kind.LIST) {
    for (const v of node.values) {
      const t = v.kind === Kind.OBJECT ? v.fields.find((f) => f.name.value === '__typename')?.value : undefined;
      typenames.push(t?.kind === Kind.STRING ? t.value : undefined);
    }
  }
  const types = [...(declared?.keys() ?? [])];
  const kinds = new Map(types.map((t) => [t, 0]));
  const known = typenames.length === n;
  for (let i = 0; i < n; i++) {
    const t = known ? typenames[i] : undefined;
    if (typeof t === 'string' && kinds.has(t)) kinds.set(t, kinds.get(t)! + 1);
    else for (const type of types) kinds.set(type, kinds.get(type)! + 1);
  }
  return kinds;
}

function selectOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName) ?? null;
  return operations.length === 1 ? operations[0]! : null;
}

/**
 * The fields of merged selection sets by response key, fragments flattened,
 * as execution groups them (same key, one resolver call).
 */
function collectFields(
  selectionSets: readonly SelectionSetNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  vars: Readonly<Record<string, unknown>>,
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visitedFragments = new Set<string>();
  const stack = [...selectionSets].reverse();
  while (stack.length > 0) {
    const set = stack.pop()!;
    for (const selection of set.selections) {
      if (!included(selection.directives, vars)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const list = fields.get(key);
        if (list) list.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        stack.push(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !visitedFragments.has(name)) {
          visitedFragments.add(name);
          stack.push(fragment.selectionSet);
        }
      }
    }
  }
  return fields;
}

function included(directives: readonly DirectiveNode[] | undefined, vars: Readonly<Record<string, unknown>>): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    const value = arg ? literal(arg.value, vars) : undefined;
    if (typeof value !== 'boolean') continue;
    if ((name === 'skip' && value) || (name === 'include' && !value)) return false;
  }
  return true;
}

function argument(field: FieldNode, name: string): ValueNode | undefined {
  return field.arguments?.find((a) => a.name.value === name)?.value;
}

function consistencyOf(field: FieldNode, vars: Readonly<Record<string, unknown>>): string {
  const node = argument(field, 'consistency');
  const value = node ? literal(node, vars) : undefined;
  return typeof value === 'string' ? value : 'EVENTUAL';
}

/** Items of a list argument; a single value counts as a list of one (input coercion makes it one). */
function listLength(node: ValueNode | undefined, vars: Readonly<Record<string, unknown>>): number {
  if (!node) return 0;
  if (node.kind === Kind.LIST) return node.values.length;
  if (node.kind === Kind.VARIABLE) {
    const value = vars[node.name.value];
    if (Array.isArray(value)) return value.length;
    return value === undefined || value === null ? 0 : 1;
  }
  return node.kind === Kind.NULL ? 0 : 1;
}

/** The value of a literal or variable, for enums, strings and booleans; undefined otherwise. */
function literal(node: ValueNode, vars: Readonly<Record<string, unknown>>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return vars[node.name.value];
    case Kind.BOOLEAN:
    case Kind.ENUM:
    case Kind.STRING:
      return node.value;
    default:
      return undefined;
  }
}
