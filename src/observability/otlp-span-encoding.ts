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

/**
 * A growing buffer, for both encodings. In protobuf, a length-delimited
 * field reserves one byte for its length and moves its content when the
 * length needs more, as the SDK's writer does, so the bytes are the same.
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
    const tag = (field << 3) | wireType;
    if (tag < 0x80) {
      this.ensure(1);
      this.buf[this.pos++] = tag;
    } else this.varint(tag);
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

  /** HrTime as nanoseconds since the epoch, fixed64, exactly (in two 32-bit halves: no BigInt per timestamp). */
  time(time: HrTime): void {
    this.ensure(8);
    const seconds = Math.trunc(time[0]);
    const nanos = Math.trunc(time[1]);
    if (seconds >= 0 && seconds < 2 ** 32 && nanos >= 0 && nanos < 1e9) {
      // seconds × 1e9 + nanos, with seconds split at 16 bits so that every product stays below 2^53.
      const lowPart = (seconds & 0xffff) * 1e9;
      const highPart = Math.floor(seconds / 0x10000) * 1e9;
      const low = (lowPart % 0x100000000) + (highPart % 0x10000) * 0x10000 + nanos;
      const high = Math.floor(lowPart / 0x100000000) + Math.floor(highPart / 0x10000) + Math.floor(low / 0x100000000);
      this.buf.writeUInt32LE(low % 0x100000000, this.pos);
      this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    } else {
      const total = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, total), this.pos);
    }
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
    const length = value.length;
    this.ensure(length);
    // A call into set() costs more than a short loop.
    if (length < 64) {
      const buf = this.buf;
      let at = this.pos;
      for (let i = 0; i < length; i++) buf[at++] = value[i]!;
    } else this.buf.set(value, this.pos);
    this.pos += length;
  }

  /** A span or trace id: hex to its bytes, written in place. */
  hexId(hex: string): void {
    const length = hex.length >>> 1;
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(hex, this.pos, length, 'hex');
  }

  /** Text known to be ASCII: JSON punctuation, numbers, hex ids. */
  ascii(text: string): void {
    this.ensure(text.length);
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** Any text, in UTF-8. */
  text(text: string): void {
    this.ensure(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** A JSON string literal, escaped as JSON.stringify escapes it, in UTF-8. */
  jsonString(text: string): void {
    this.text(JSON.stringify(text));
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

/** A KeyValue as UTF-8 JSON. */
const jsonPairs = new PairCache<Uint8Array>((key, value) => Buffer.from(jsonPair(key, value), 'utf8'));

/** `"name":[pairs]` */
function jsonAttributes(w: Writer, name: string, attributes: Attributes | undefined): void {
  w.ascii(`"${name}":[`);
  let first = true;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    if (!first) w.ascii(',');
    first = false;
    w.raw(jsonPairs.get(key, attributes[key] as AttributeValue));
  }
  w.ascii(']');
}

/** Nanoseconds since the epoch as a quoted decimal, exactly (beyond 2^53), without a BigInt per timestamp. */
function jsonTime(time: HrTime): string {
  const seconds = Math.trunc(time[0]);
  const nanos = Math.trunc(time[1]);
  if (seconds > 0 && nanos >= 0 && nanos < 1e9) return `"${seconds}${String(nanos).padStart(9, '0')}"`;
  return `"${BigInt(seconds) * 1_000_000_000n + BigInt(nanos)}"`;
}

function jsonSpan(w: Writer, span: OtlpSpan): void {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const status = span.status;
  // Few writes per span: each is a call into the runtime. Ids are hex, as the SDK's span context holds them.
  w.text(
    `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"${parent?.spanId ? `,"parentSpanId":"${parent.spanId}"` : ''}${
      traceState === undefined ? '' : `,"traceState":${JSON.stringify(traceState)}`
    },"name":${JSON.stringify(span.name)},"kind":${span.kind == null ? 0 : span.kind + 1},"startTimeUnixNano":${jsonTime(
      span.startTime,
    )},"endTimeUnixNano":${jsonTime(span.endTime)},`,
  );
  jsonAttributes(w, 'attributes', span.attributes);
  w.ascii(`,"droppedAttributesCount":${span.droppedAttributesCount},"events":[`);
  span.events.forEach((event, i) => {
    w.ascii(i === 0 ? '{' : ',{');
    jsonAttributes(w, 'attributes', event.attributes);
    w.text(
      `,"name":${JSON.stringify(event.name)},"timeUnixNano":${jsonTime(event.time)},"droppedAttributesCount":${event.droppedAttributesCount || 0}}`,
    );
  });
  w.text(
    `],"droppedEventsCount":${span.droppedEventsCount},"status":{"code":${status.code}${
      status.message === undefined ? '' : `,"message":${JSON.stringify(status.message)}`
    }},"links":[`,
  );
  span.links.forEach((link, i) => {
    w.ascii(i === 0 ? '{' : ',{');
    jsonAttributes(w, 'attributes', link.attributes);
    const linkState = link.context.traceState?.serialize();
    w.text(
      `,"spanId":"${link.context.spanId}","traceId":"${link.context.traceId}"${
        linkState === undefined ? '' : `,"traceState":${JSON.stringify(linkState)}`
      },"droppedAttributesCount":${link.droppedAttributesCount || 0},"flags":${spanFlags(link.context.traceFlags, link.context.isRemote)}}`,
    );
  });
  w.ascii(`],"droppedLinksCount":${span.droppedLinksCount},"flags":${spanFlags(ctx.traceFlags, parent?.isRemote)}}`);
}

const jsonResources = new WeakMap<Resource, Uint8Array>();
/** `"resource":{…}` and the ResourceSpans' schemaUrl, if any (both the resource's, as the SDK writes them). */
function jsonResource(w: Writer, resource: Resource): void {
  const cached = jsonResources.get(resource);
  if (cached) return w.raw(cached);
  const start = w.pos;
  const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
  w.ascii('"resource":{');
  jsonAttributes(w, 'attributes', resource.attributes);
  w.ascii(',"droppedAttributesCount":0');
  w.raw(Buffer.from(`${schemaUrl}}${schemaUrl}`, 'utf8'));
  // Attributes still being detected may change: encode again next time.
  if (!resource.asyncAttributesPending) jsonResources.set(resource, w.copy(start));
}

const jsonScopes = new WeakMap<Scope, Uint8Array>();
/** `"scope":{…}` */
function jsonScope(w: Writer, scope: Scope): void {
  const cached = jsonScopes.get(scope);
  if (cached) return w.raw(cached);
  const start = w.pos;
  w.ascii('"scope":{"name":');
  w.jsonString(scope.name);
  if (scope.version !== undefined) {
    w.ascii(',"version":');
    w.jsonString(scope.version);
  }
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    w.ascii(',');
    jsonAttributes(w, 'attributes', scope.attributes);
    w.ascii(`,"droppedAttributesCount":${scope.droppedAttributesCount ?? 0}`);
  }
  w.ascii('}');
  jsonScopes.set(scope, w.copy(start));
}

const jsonWriter = new Writer();

/** The request as `http/json` sends it (UTF-8). */
export function encodeSpansJson(spans: readonly OtlpSpan[]): Uint8Array {
  const w = jsonWriter;
  w.reset();
  w.ascii('{"resourceSpans":[');
  let firstResource = true;
  // Scopes of the same name, version and schema are one scope, as the SDK groups them.
  for (const [resource, byScope] of group(spans, (s) => `${s.name}@${s.version || ''}:${s.schemaUrl || ''}`)) {
    w.ascii(firstResource ? '{' : ',{');
    firstResource = false;
    jsonResource(w, resource);
    w.ascii(',"scopeSpans":[');
    let firstScope = true;
    for (const list of byScope.values()) {
      const scope = list[0]!.instrumentationScope;
      w.ascii(firstScope ? '{' : ',{');
      firstScope = false;
      jsonScope(w, scope);
      w.ascii(',"spans":[');
      list.forEach((span, i) => {
        if (i > 0) w.ascii(',');
        jsonSpan(w, span);
      });
      w.ascii(']');
      if (scope.schemaUrl !== undefined) {
        w.ascii(',"schemaUrl":');
        w.jsonString(scope.schemaUrl);
      }
      w.ascii('}');
    }
    w.ascii(']}');
  }
  w.ascii(']}');
  return w.copy();
}

// ---------------------------------------------------------------- protobuf

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
  if (!attributes) return;
  // The own enumerable keys, in the order the SDK's for…in with hasOwnProperty visits them.
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
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
