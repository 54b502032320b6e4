/**
 * Input validation against the shape tables generated from the AWS service models
 * (src/spec/generated/*, written by scripts/gen-spec.ts). Runs on every request, so the tables
 * are compiled once at load (shapes linked to each other, regexes built, messages
 * precomputed) and the happy path allocates nothing.
 *
 * Behaviour, following AWS (Coral) JSON services:
 * - A JSON value of the wrong type (string for a structure, float for an integer, …) is a
 *   `SerializationException`, thrown at the first one found; AWS fails deserialization before
 *   it validates anything.
 * - Constraint violations are collected over the whole input into one `ValidationException`:
 *   "N validation error(s) detected: Value '…' at 'a.b' failed to satisfy constraint: …",
 *   joined with "; ". Paths are member names with the first letter lower-cased
 *   ('SAMLOptions' → 'sAMLOptions', as AWS prints), list elements `list.<1-based>.member`,
 *   map entries `map.<key>.member` (only reached for maps of structures/lists).
 * - A list or map of scalars reports its elements once, at the list/map itself, with the
 *   element shape's whole constraint set in brackets, as AWS does
 *   ("Member must satisfy constraint: [Member must have length less than or equal to 2048,
 *   …, Member must not be null]", "Map value must satisfy constraint: […]", "Map keys must
 *   satisfy constraint: […]").
 * - One error per failing constraint of a value, in the order: max length/value, min
 *   length/value, pattern, enum.
 * - Value rendering: AWS quotes every value, numbers included (`Value '0' at 'maxResults'`);
 *   float/double print as Java does (`'-1.0'`); missing required members print `null`
 *   unquoted; sensitive shapes omit the value (`Value at 'password'`). Lists render as Java's
 *   List.toString (`[a, b]`), maps as Map.toString (`{k=v}`) and structures — whose Java
 *   toString AWS does not document — as `{Member=value, …}` in the style of a map.
 * - Enum sets print in model order (AWS prints a Java HashSet, whose order is arbitrary).
 * - Members the model does not know are ignored, neither rejected nor validated: AWS JSON
 *   services skip unknown fields when deserializing (that is how older servers accept newer
 *   SDKs' additions; Smithy's JSON protocols likewise skip unmodelled keys such as `__type`
 *   in unions, smithy 1.38.0). Not confirmed from a primary AWS statement; nothing is removed
 *   from the input, so handlers still see whatever the client sent.
 * - JSON `null` for a member means "not set" (Coral deserializes it as absent).
 * - Timestamps must be numbers (JSON 1.1 epoch seconds); a Date is accepted too, for the
 *   REST-JSON protocol, which parses header timestamps itself. Blobs are base64 strings (JSON
 *   body) or bytes (REST-JSON payload); blob lengths count decoded bytes.
 * - String lengths count Unicode code points.
 */
import { serialization, validation } from '../errors.js';
import { spec as lookoutvision } from './generated/lookoutvision.js';
import { spec as sagemakerRuntime } from './generated/sagemaker-runtime.js';
import { spec as sagemaker } from './generated/sagemaker.js';
import type { ShapeDef, SpecTables } from './types.js';

const enum T {
  Structure,
  List,
  Map,
  String,
  Integer,
  Long,
  Float,
  Double,
  Boolean,
  Timestamp,
  Blob,
}

const TYPE_CODES: Record<ShapeDef['type'], T> = {
  structure: T.Structure,
  list: T.List,
  map: T.Map,
  string: T.String,
  integer: T.Integer,
  long: T.Long,
  float: T.Float,
  double: T.Double,
  boolean: T.Boolean,
  timestamp: T.Timestamp,
  blob: T.Blob,
};

const TYPE_WORDS: Record<T, string> = {
  [T.Structure]: 'a structure (JSON object)',
  [T.List]: 'a list (JSON array)',
  [T.Map]: 'a map (JSON object)',
  [T.String]: 'a string',
  [T.Integer]: 'an integer',
  [T.Long]: 'a long integer',
  [T.Float]: 'a number',
  [T.Double]: 'a number',
  [T.Boolean]: 'a boolean',
  [T.Timestamp]: 'a timestamp (epoch seconds number)',
  [T.Blob]: 'a base64-encoded string',
};

interface Member {
  name: string;
  /** Path segment as AWS prints it: the member name, first letter lower-cased. */
  seg: string;
  shape: Shape;
}

interface Shape {
  name: string;
  t: T;
  members: Member[];
  required: boolean[];
  elem?: Shape;
  key?: Shape;
  value?: Shape;
  min: number;
  max: number;
  re?: RegExp;
  pattern?: string;
  enumSet?: Set<string>;
  sensitive: boolean;
  /** Does this scalar shape carry any constraint at all (else skip the checks)? */
  constrained: boolean;
  /** Precomputed message parts. */
  msgMax: string;
  msgMin: string;
  msgPattern: string;
  msgEnum: string;
  /** "[c1, c2, …]" — the constraint set printed for list elements / map keys / map values. */
  bracket: string;
}

type Tables = Map<string, Shape | null>;

const U_INT32_MIN = -2147483648;
const U_INT32_MAX = 2147483647;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

function compile(tables: SpecTables): Tables {
  const shapes = new Map<string, Shape>();
  const get = (name: string): Shape => {
    let s = shapes.get(name);
    if (s) return s;
    const d = tables.shapes[name];
    if (!d) throw new Error(`generated tables miss shape ${name}`);
    const t = TYPE_CODES[d.type];
    const isNum = t === T.Integer || t === T.Long || t === T.Float || t === T.Double;
    const unit = isNum ? 'value' : 'length';
    s = {
      name,
      t,
      members: [],
      required: [],
      min: d.min ?? -Infinity,
      max: d.max ?? Infinity,
      pattern: d.pattern,
      re: d.pattern !== undefined ? new RegExp('^(?:' + (d.jsPattern ?? d.pattern) + ')$', 'u') : undefined,
      enumSet: d.enum ? new Set(d.enum) : undefined,
      sensitive: d.sensitive === true,
      constrained: d.min !== undefined || d.max !== undefined || d.pattern !== undefined || d.enum !== undefined,
      msgMax: `Member must have ${unit} less than or equal to ${d.max}`,
      msgMin: `Member must have ${unit} greater than or equal to ${d.min}`,
      msgPattern: `Member must satisfy regular expression pattern: ${d.pattern}`,
      msgEnum: `Member must satisfy enum value set: [${(d.enum ?? []).join(', ')}]`,
      bracket: '',
    };
    const parts: string[] = [];
    if (d.max !== undefined) parts.push(s.msgMax);
    if (d.min !== undefined) parts.push(s.msgMin);
    if (d.pattern !== undefined) parts.push(s.msgPattern);
    if (d.enum !== undefined) parts.push(s.msgEnum);
    s.bracket = parts.join(', ');
    shapes.set(name, s); // before linking: shapes may be recursive
    if (d.members) {
      const req = new Set(d.required ?? []);
      for (const [m, ref] of Object.entries(d.members)) {
        s.members.push({ name: m, seg: m[0].toLowerCase() + m.slice(1), shape: get(ref.shape) });
        s.required.push(req.has(m));
      }
    }
    if (d.member) s.elem = get(d.member);
    if (d.key) s.key = get(d.key);
    if (d.value) s.value = get(d.value);
    return s;
  };
  const ops: Tables = new Map();
  for (const [op, o] of Object.entries(tables.operations)) ops.set(op, o.input ? get(o.input) : null);
  return ops;
}

const SPECS = new Map<string, Tables>([
  ['sagemaker', compile(sagemaker)],
  ['sagemaker-runtime', compile(sagemakerRuntime)],
  ['lookoutvision', compile(lookoutvision)],
]);

// Per-call state. validateInput is synchronous, so module-level state is safe and saves
// allocating a context per request.
const path: string[] = [];
let errors: string[] | null = null;

export function validateInput(specName: string, operation: string, input: unknown): void {
  const ops = SPECS.get(specName);
  if (!ops) throw new Error(`validateInput: no generated tables for spec ${specName}`);
  const shape = ops.get(operation);
  if (shape === undefined) {
    // The registry gained an operation after the tables were generated: refuse rather than
    // let unvalidated input through (test/spec/staleness.test.ts flags this too).
    throw new Error(`validateInput: ${specName} operation ${operation} is not in src/spec/generated; run npm run gen`);
  }
  if (shape === null) return;
  path.length = 0;
  errors = null;
  try {
    if (input === null || input === undefined) input = {};
    checkValue(shape, input);
  } finally {
    path.length = 0;
  }
  if (errors) {
    const list: string[] = errors;
    errors = null;
    throw validation(`${list.length} validation error${list.length === 1 ? '' : 's'} detected: ${list.join('; ')}`);
  }
}

function where(): string {
  return path.join('.');
}

function fail(shape: Shape, value: unknown, constraint: string): void {
  const v = value === null ? 'null' : shape.sensitive ? '' : `'${render(shape, value)}'`;
  (errors ??= []).push(`Value ${v}${v ? ' ' : ''}at '${where()}' failed to satisfy constraint: ${constraint}`);
}

function wrongType(shape: Shape, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  const at = path.length ? ` at '${where()}'` : '';
  throw serialization(`Expected ${TYPE_WORDS[shape.t]}${at} but found ${got}.`);
}

/** Java-style rendering of a value for messages (see the header comment). */
function render(shape: Shape | undefined, v: unknown): string {
  if (typeof v === 'number') {
    return (shape?.t === T.Float || shape?.t === T.Double) && Number.isInteger(v) ? v.toFixed(1) : String(v);
  }
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((e) => render(shape?.elem, e)).join(', ')}]`;
  if (v instanceof Uint8Array) return `java.nio.HeapByteBuffer[pos=0 lim=${v.length} cap=${v.length}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (shape?.t === T.Structure) {
      const parts: string[] = [];
      for (const m of shape.members) if (o[m.name] !== undefined && o[m.name] !== null) parts.push(`${m.name}=${render(m.shape, o[m.name])}`);
      return `{${parts.join(', ')}}`;
    }
    return `{${Object.keys(o).map((k) => `${k}=${render(shape?.value, o[k])}`).join(', ')}}`;
  }
  return String(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Code points in `s`, counted only when UTF-16 length cannot decide the bound alone. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Type check (throws SerializationException) for a scalar; returns its length/value for range checks. */
function scalarMeasure(shape: Shape, v: unknown): number {
  switch (shape.t) {
    case T.String:
      if (typeof v !== 'string') wrongType(shape, v);
      return -1; // measured lazily in checkScalar
    case T.Integer:
      if (typeof v !== 'number' || !Number.isInteger(v) || v < U_INT32_MIN || v > U_INT32_MAX) wrongType(shape, v);
      return v;
    case T.Long:
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) wrongType(shape, v);
      return v;
    case T.Float:
    case T.Double:
      if (typeof v !== 'number' || !Number.isFinite(v)) wrongType(shape, v);
      return v;
    case T.Boolean:
      if (typeof v !== 'boolean') wrongType(shape, v);
      return 0;
    case T.Timestamp:
      if (!(typeof v === 'number' && Number.isFinite(v)) && !(v instanceof Date && !Number.isNaN(v.getTime()))) wrongType(shape, v);
      return 0;
    case T.Blob:
      if (typeof v === 'string') {
        if (!BASE64.test(v)) throw serialization(`Expected a base64-encoded string at '${where()}' but the value is not valid base64.`);
        const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
        return Math.floor(((v.length - pad) * 3) / 4);
      }
      if (v instanceof Uint8Array) return v.length;
      return wrongType(shape, v);
    default:
      return 0;
  }
}

/**
 * Checks a scalar's constraints. With `report` it records one error per failing constraint;
 * without it, it only answers whether all hold (used for list elements and map entries,
 * which AWS reports once at the container).
 */
function checkScalar(shape: Shape, v: unknown, report: boolean): boolean {
  const m = scalarMeasure(shape, v);
  if (!shape.constrained) return true;
  let ok = true;
  if (shape.t === T.String) {
    const s = v as string;
    // UTF-16 length bounds the code point count: len/2 ≤ cps ≤ len.
    let len = s.length;
    if (len > shape.max || (len + 1) >> 1 < shape.min) len = codePoints(s);
    if (len > shape.max) {
      ok = false;
      if (report) fail(shape, v, shape.msgMax);
    }
    if (len < shape.min) {
      ok = false;
      if (report) fail(shape, v, shape.msgMin);
    }
    if (shape.re && !shape.re.test(s)) {
      ok = false;
      if (report) fail(shape, v, shape.msgPattern);
    }
    if (shape.enumSet && !shape.enumSet.has(s)) {
      ok = false;
      if (report) fail(shape, v, shape.msgEnum);
    }
    return ok;
  }
  if (shape.t === T.Boolean || shape.t === T.Timestamp) return true;
  if (m > shape.max) {
    ok = false;
    if (report) fail(shape, v, shape.msgMax);
  }
  if (m < shape.min) {
    ok = false;
    if (report) fail(shape, v, shape.msgMin);
  }
  return ok;
}

/** checkScalar without reporting; a wrong JSON type is reported at `<container>.<seg>.member`. */
function checkScalarAt(shape: Shape, v: unknown, seg: string): boolean {
  try {
    return checkScalar(shape, v, false);
  } catch (err) {
    path.push(seg, 'member');
    scalarMeasure(shape, v); // throws again, now naming the element
    throw err;
  }
}

function checkValue(shape: Shape, v: unknown): void {
  switch (shape.t) {
    case T.Structure: {
      if (!isPlainObject(v)) wrongType(shape, v);
      const members = shape.members;
      for (let i = 0; i < members.length; i++) {
        const m = members[i];
        const mv = v[m.name];
        if (mv === undefined || mv === null) {
          if (!shape.required[i]) continue;
          path.push(m.seg);
          (errors ??= []).push(`Value null at '${where()}' failed to satisfy constraint: Member must not be null`);
        } else {
          path.push(m.seg);
          checkValue(m.shape, mv);
        }
        path.pop();
      }
      return;
    }
    case T.List: {
      if (!Array.isArray(v)) wrongType(shape, v);
      if (v.length > shape.max) fail(shape, v, shape.msgMax);
      if (v.length < shape.min) fail(shape, v, shape.msgMin);
      const elem = shape.elem!;
      if (elem.t === T.Structure || elem.t === T.List || elem.t === T.Map) {
        for (let i = 0; i < v.length; i++) {
          path.push(String(i + 1), 'member');
          if (v[i] === null || v[i] === undefined) {
            (errors ??= []).push(`Value null at '${where()}' failed to satisfy constraint: Member must not be null`);
          } else {
            checkValue(elem, v[i]);
          }
          path.length -= 2;
        }
        return;
      }
      let bad = false;
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (e === null || e === undefined) bad = true;
        else if (!checkScalarAt(elem, e, String(i + 1))) bad = true;
      }
      if (bad) {
        const set = elem.bracket ? `${elem.bracket}, Member must not be null` : 'Member must not be null';
        fail(shape, v, `Member must satisfy constraint: [${set}]`);
      }
      return;
    }
    case T.Map: {
      if (!isPlainObject(v)) wrongType(shape, v);
      const key = shape.key!;
      const value = shape.value!;
      let count = 0;
      let badKey = false;
      let badValue = false;
      const nested = value.t === T.Structure || value.t === T.List || value.t === T.Map;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        count++;
        if (!checkScalar(key, k, false)) badKey = true;
        const e = v[k];
        if (nested) {
          if (e === null || e === undefined) continue;
          path.push(k, 'member');
          checkValue(value, e);
          path.length -= 2;
        } else if (e === null || e === undefined) {
          // Coral drops null map values while deserializing
        } else if (!checkScalarAt(value, e, k)) {
          badValue = true;
        }
      }
      if (count > shape.max) fail(shape, v, shape.msgMax);
      if (count < shape.min) fail(shape, v, shape.msgMin);
      if (badKey) fail(shape, v, `Map keys must satisfy constraint: [${key.bracket}]`);
      if (badValue) fail(shape, v, `Map value must satisfy constraint: [${value.bracket}]`);
      return;
    }
    default:
      checkScalar(shape, v, true);
  }
}
