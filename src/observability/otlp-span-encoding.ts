import type { AttributeValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api';

/*
 * The OTLP ExportTraceServiceRequest for a batch of finished spans, in both
 * encodings the gateway exports over HTTP: protobuf and JSON. The SDK's own
 * serializers rebuild every span's key/value pairs on each export, string by
 * string; most of a gateway span's attributes are the same few pairs over and
 * over (a statement's text, its node, its route), so here each pair is
 * encoded once and copied afterwards, and the resource and the
 * instrumentation scope once per batch. The output is what the SDK sends,
 * field for field (a test compares both).
 */

/** The part of the SDK's ReadableSpan that OTLP carries. */
export interface OtlpSpan {
  readonly name: string;
  readonly kind: number;
  spanContext(): SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: { readonly code: number; readonly message?: string | undefined };
  readonly attributes: Attributes;
  readonly links: readonly {
    readonly context: SpanContext;
    readonly attributes?: Attributes | undefined;
    readonly droppedAttributesCount?: number | undefined;
  }[];
  readonly events: readonly {
    readonly name: string;
    readonly time: HrTime;
    readonly attributes?: Attributes | undefined;
    readonly droppedAttributesCount?: number | undefined;
  }[];
  readonly resource: {
    readonly attributes: Attributes;
    readonly schemaUrl?: string | undefined;
    readonly asyncAttributesPending?: boolean | undefined;
  };
  readonly instrumentationScope: {
    readonly name: string;
    readonly version?: string | undefined;
    readonly schemaUrl?: string | undefined;
    readonly attributes?: Attributes | undefined;
    readonly droppedAttributesCount?: number | undefined;
  };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

type Resource = OtlpSpan['resource'];
type Scope = OtlpSpan['instrumentationScope'];

/** Spans grouped by resource, then by scope, in the order they came. */
function group(spans: readonly OtlpSpan[], scopeKey: (scope: Scope) => unknown): Map<Resource, Map<unknown, OtlpSpan[]>> {
  const byResource = new Map<Resource, Map<unknown, OtlpSpan[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) byResource.set(span.resource, (byScope = new Map()));
    const key = scopeKey(span.instrumentationScope);
    let list = byScope.get(key);
    if (!list) byScope.set(key, (list = []));
    list.push(span);
  }
  return byResource;
}

// W3C trace flags in the low byte, and whether the parent was remote, as OTLP's span flags say it.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/**
 * A cache of encoded key/value pairs, by key then value. Bounded: a key
 * whose values never repeat (a request id, a lag) stops being cached once it
 * has had `perKey` distinct values, and at most `keys` keys are cached.
 */
class PairCache<T> {
  private readonly byKey = new Map<string, Map<AttributeValue, T> | null>();
  constructor(
    private readonly encode: (key: string, value: AttributeValue) => T,
    private readonly perKey = 512,
    private readonly keys = 256,
  ) {}

  get(key: string, value: AttributeValue): T {
    // Arrays are compared by identity in a Map: not worth caching.
    if (typeof value === 'object') return this.encode(key, value);
    let values = this.byKey.get(key);
    if (values === undefined) {
      values = this.byKey.size < this.keys ? new Map() : null;
      this.byKey.set(key, values);
    }
    if (values === null) return this.encode(key, value);
    let encoded = values.get(value);
    if (encoded === undefined) {
      encoded = this.encode(key, value);
      if (values.size < this.perKey) values.set(value, encoded);
      else this.byKey.set(key, null);
    }
    return encoded;
  }
}

// ---------------------------------------------------------------- JSON

/** AnyValue as the SDK's JSON encoder writes it (int64 as a JSON number, bytes as base64). */
function jsonAnyValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'number':
      return Number.isInteger(value) ? `{"intValue":${value}}` : `{"doubleValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
  }
  if (value instanceof Uint8Array) return `{"bytesValue":${JSON.stringify(Buffer.from(value).toString('base64'))}}`;
  if (Array.isArray(value)) return `{"arrayValue":{"values":[${value.map(jsonAnyValue).join(',')}]}}`;
  if (typeof value === 'object' && value !== null) {
    return `{"kvlistValue":{"values":[${Object.keys(value)
      .map((k) => jsonPair(k, (value as Record<string, unknown>)[k]))
      .join(',')}]}}`;
  }
  return '{}';
}

function jsonPair(key: string, value: unknown): string {
  return `{"key":${JSON.stringify(key)},"value":${jsonAnyValue(value)}}`;
}

const jsonPairs = new PairCache<string>(jsonPair);

function jsonAttributes(attributes: Attributes | undefined): string {
  let out = '';
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    out += (out === '' ? '' : ',') + jsonPairs.get(key, attributes[key] as AttributeValue);
  }
  return `[${out}]`;
}

/** Nanoseconds since the epoch as a decimal string, exactly (beyond 2^53), without a BigInt per timestamp. */
function jsonTime(time: HrTime): string {
  const seconds = Math.trunc(time[0]);
  const nanos = Math.trunc(time[1]);
  if (seconds > 0 && nanos >= 0 && nanos < 1e9) return `"${seconds}${String(nanos).padStart(9, '0')}"`;
  return `"${BigInt(seconds) * 1_000_000_000n + BigInt(nanos)}"`;
}

function jsonSpan(span: OtlpSpan): string {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const status = span.status;
  let out = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  if (parent?.spanId) out += `,"parentSpanId":${JSON.stringify(parent.spanId)}`;
  if (traceState !== undefined) out += `,"traceState":${JSON.stringify(traceState)}`;
  out += `,"name":${JSON.stringify(span.name)},"kind":${span.kind == null ? 0 : span.kind + 1}`;
  out += `,"startTimeUnixNano":${jsonTime(span.startTime)},"endTimeUnixNano":${jsonTime(span.endTime)}`;
  out += `,"attributes":${jsonAttributes(span.attributes)},"droppedAttributesCount":${span.droppedAttributesCount}`;
  out += `,"events":[${span.events
    .map(
      (e) =>
        `{"attributes":${jsonAttributes(e.attributes)},"name":${JSON.stringify(e.name)},"timeUnixNano":${jsonTime(e.time)},"droppedAttributesCount":${e.droppedAttributesCount || 0}}`,
    )
    .join(',')}],"droppedEventsCount":${span.droppedEventsCount}`;
  out += `,"status":{"code":${status.code}${status.message === undefined ? '' : `,"message":${JSON.stringify(status.message)}`}}`;
  out += `,"links":[${span.links
    .map((l) => {
      const linkState = l.context.traceState?.serialize();
      return `{"attributes":${jsonAttributes(l.attributes)},"spanId":"${l.context.spanId}","traceId":"${l.context.traceId}"${
        linkState === undefined ? '' : `,"traceState":${JSON.stringify(linkState)}`
      },"droppedAttributesCount":${l.droppedAttributesCount || 0},"flags":${spanFlags(l.context.traceFlags, l.context.isRemote)}}`;
    })
    .join(',')}],"droppedLinksCount":${span.droppedLinksCount}`;
  return `${out},"flags":${spanFlags(ctx.traceFlags, parent?.isRemote)}}`;
}

const jsonResources = new WeakMap<Resource, string>();
/** `"resource":{…}` and the ResourceSpans' schemaUrl, if any (both the resource's, as the SDK writes them). */
function jsonResource(resource: Resource): string {
  let out = jsonResources.get(resource);
  if (out === undefined) {
    const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
    out = `"resource":{"attributes":${jsonAttributes(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}${schemaUrl}`;
    // Attributes still being detected may change: encode again next time.
    if (!resource.asyncAttributesPending) jsonResources.set(resource, out);
  }
  return out;
}

const jsonScopes = new WeakMap<Scope, string>();
function jsonScope(scope: Scope): string {
  let out = jsonScopes.get(scope);
  if (out === undefined) {
    let body = `"name":${JSON.stringify(scope.name)}`;
    if (scope.version !== undefined) body += `,"version":${JSON.stringify(scope.version)}`;
    if (scope.attributes && Object.keys(scope.attributes).length > 0) {
      body += `,"attributes":${jsonAttributes(scope.attributes)},"droppedAttributesCount":${scope.droppedAttributesCount ?? 0}`;
    }
    out = `"scope":{${body}}`;
    jsonScopes.set(scope, out);
  }
  return out;
}

/** The request as `http/json` sends it (UTF-8). */
export function encodeSpansJson(spans: readonly OtlpSpan[]): Uint8Array {
  const resources: string[] = [];
  // Scopes of the same name, version and schema are one scope, as the SDK groups them.
  for (const [resource, byScope] of group(spans, (s) => `${s.name}@${s.version || ''}:${s.schemaUrl || ''}`)) {
    const scopes: string[] = [];
    for (const list of byScope.values()) {
      const scope = list[0]!.instrumentationScope;
      const schemaUrl = scope.schemaUrl === undefined ? '' : `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}`;
      scopes.push(`{${jsonScope(scope)},"spans":[${list.map(jsonSpan).join(',')}]${schemaUrl}}`);
    }
    resources.push(`{${jsonResource(resource)},"scopeSpans":[${scopes.join(',')}]}`);
  }
  return Buffer.from(`{"resourceSpans":[${resources.join(',')}]}`, 'utf8');
}

// ---------------------------------------------------------------- protobuf

/**
 * A growing buffer of protobuf wire format. A length-delimited field
 * reserves one byte for its length and moves its content when the length
 * needs more, as the SDK's writer does, so the bytes are the same.
 */
class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    // int64 beyond 32 bits, negative ones in two's complement: 10 bytes.
    let big = BigInt.asUintN(64, BigInt(value));
    while (big > 0x7fn) {
      buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    buf[this.pos++] = Number(big);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** HrTime as nanoseconds since the epoch, fixed64, exactly. */
  time(time: HrTime): void {
    this.ensure(8);
    const nanos = BigInt(Math.trunc(time[0])) * 1_000_000_000n + BigInt(Math.trunc(time[1]));
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, nanos), this.pos);
    this.pos += 8;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A span or trace id: hex to its bytes, written in place. */
  hexId(hex: string): void {
    const length = hex.length >>> 1;
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(hex, this.pos, length, 'hex');
  }

  /** Opens a length-delimited field; `close` with what it returned. */
  open(): number {
    this.ensure(1);
    return this.pos++;
  }

  close(start: number): void {
    const length = this.pos - start - 1;
    let size = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) size++;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copy(this.buf, start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    let at = start;
    let v = length;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** The bytes written since `start`, copied out. */
  copy(start = 0): Uint8Array {
    return Buffer.from(this.buf.subarray(start, this.pos));
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function protoAnyValue(w: Writer, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.tag(1, 2);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.tag(3, 0);
      w.varint(n);
    } else {
      w.tag(4, 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const array = w.open();
    for (const item of value) {
      w.tag(1, 2);
      const at = w.open();
      protoAnyValue(w, item);
      w.close(at);
    }
    w.close(array);
  } else if (t === 'object' && value !== null) {
    w.tag(6, 2);
    const list = w.open();
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      w.tag(1, 2);
      const pair = w.open();
      protoKeyValue(w, k, (value as Record<string, unknown>)[k]);
      w.close(pair);
    }
    w.close(list);
  }
}

function protoKeyValue(w: Writer, key: string, value: unknown): void {
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const at = w.open();
  protoAnyValue(w, value);
  w.close(at);
}

/** A KeyValue's bytes with its length prefix, without the field's tag (which depends on where it goes). */
const scratch = new Writer();
const protoPairs = new PairCache<Uint8Array>((key, value) => {
  scratch.reset();
  const at = scratch.open();
  protoKeyValue(scratch, key, value);
  scratch.close(at);
  return scratch.copy();
});

function protoAttributes(w: Writer, attributes: Attributes | undefined, field: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.tag(field, 2);
    w.raw(protoPairs.get(key, attributes[key] as AttributeValue));
  }
}

function protoSpan(w: Writer, span: OtlpSpan): void {
  const at = w.open();
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  w.tag(1, 2);
  w.hexId(ctx.traceId);
  w.tag(2, 2);
  w.hexId(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, 2);
    w.string(traceState);
  }
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hexId(parent.spanId);
  }
  w.tag(5, 2);
  w.string(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  w.tag(7, 1);
  w.time(span.startTime);
  w.tag(8, 1);
  w.time(span.endTime);
  protoAttributes(w, span.attributes, 9);
  w.tag(10, 0);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, 2);
    const e = w.open();
    w.tag(1, 1);
    w.time(event.time);
    w.tag(2, 2);
    w.string(event.name);
    protoAttributes(w, event.attributes, 3);
    w.tag(4, 0);
    w.varint(event.droppedAttributesCount || 0);
    w.close(e);
  }
  w.tag(12, 0);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, 2);
    const l = w.open();
    w.tag(1, 2);
    w.hexId(link.context.traceId);
    w.tag(2, 2);
    w.hexId(link.context.spanId);
    const linkState = link.context.traceState?.serialize();
    if (linkState) {
      w.tag(3, 2);
      w.string(linkState);
    }
    protoAttributes(w, link.attributes, 4);
    w.tag(5, 0);
    w.varint(link.droppedAttributesCount || 0);
    w.tag(6, 5);
    w.fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
    w.close(l);
  }
  w.tag(14, 0);
  w.varint(span.droppedLinksCount);
  w.tag(15, 2);
  const status = w.open();
  if (span.status.message) {
    w.tag(2, 2);
    w.string(span.status.message);
  }
  w.tag(3, 0);
  w.varint(span.status.code);
  w.close(status);
  w.tag(16, 5);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.close(at);
}

const protoResources = new WeakMap<Resource, Uint8Array>();
/** The Resource field (1) of ResourceSpans, tag included. */
function protoResource(w: Writer, resource: Resource): void {
  const cached = protoResources.get(resource);
  if (cached) return w.raw(cached);
  const start = w.pos;
  w.tag(1, 2);
  const at = w.open();
  protoAttributes(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.close(at);
  if (!resource.asyncAttributesPending) protoResources.set(resource, w.copy(start));
}

const protoScopes = new WeakMap<Scope, Uint8Array>();
/** The InstrumentationScope field (1) of ScopeSpans, tag included. */
function protoScope(w: Writer, scope: Scope): void {
  const cached = protoScopes.get(scope);
  if (cached) return w.raw(cached);
  const start = w.pos;
  w.tag(1, 2);
  const at = w.open();
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  protoAttributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(scope.droppedAttributesCount);
  }
  w.close(at);
  protoScopes.set(scope, w.copy(start));
}

const writer = new Writer();

/** The request as `http/protobuf` sends it. */
export function encodeSpansProtobuf(spans: readonly OtlpSpan[]): Uint8Array {
  const w = writer;
  w.reset();
  for (const [resource, byScope] of group(spans, (scope) => scope)) {
    w.tag(1, 2);
    const resourceSpans = w.open();
    protoResource(w, resource);
    for (const list of byScope.values()) {
      const scope = list[0]!.instrumentationScope;
      w.tag(2, 2);
      const scopeSpans = w.open();
      protoScope(w, scope);
      for (const span of list) {
        w.tag(2, 2);
        protoSpan(w, span);
      }
      if (scope.schemaUrl) {
        w.tag(3, 2);
        w.string(scope.schemaUrl);
      }
      w.close(scopeSpans);
    }
    if (resource.schemaUrl) {
      w.tag(3, 2);
      w.string(resource.schemaUrl);
    }
    w.close(resourceSpans);
  }
  return w.copy();
}
