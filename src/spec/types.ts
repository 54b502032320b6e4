/**
 * Shape tables generated from botocore service-2.json by scripts/gen-spec.ts. Only what input
 * validation and the protocols need: types, constraints and wire bindings; no documentation.
 */
export type ShapeType =
  | 'structure'
  | 'list'
  | 'map'
  | 'string'
  | 'integer'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'blob';

export interface MemberDef {
  shape: string;
  /** REST-JSON binding; absent = JSON body. */
  location?: 'header' | 'headers' | 'querystring' | 'uri' | 'statusCode';
  locationName?: string;
  /** SDKs fill this member with a fresh token when the caller leaves it out. */
  idempotencyToken?: boolean;
  /** A string member whose content is itself JSON. */
  jsonvalue?: boolean;
}

export interface ShapeDef {
  type: ShapeType;
  /** structure */
  members?: Record<string, MemberDef>;
  required?: string[];
  /** REST-JSON: the member that is the whole HTTP body. */
  payload?: string;
  /** Tagged union: at most one member set (kept for the record; AWS wording unknown, not enforced). */
  union?: boolean;
  /** list element shape */
  member?: string;
  /** map key / value shapes */
  key?: string;
  value?: string;
  /** length (string: code points, blob: bytes, list/map: entries) or value (numbers) */
  min?: number;
  max?: number;
  /** Java regex exactly as AWS publishes it (quoted in error messages). */
  pattern?: string;
  /** JavaScript translation of `pattern` (only when a documented rewrite rule applied). */
  jsPattern?: string;
  enum?: string[];
  /** AWS leaves sensitive values out of validation messages. */
  sensitive?: boolean;
  /** blob streamed as the HTTP body */
  streaming?: boolean;
}

export interface SpecTables {
  /** botocore metadata.protocol: 'json' (JSON 1.1) or 'rest-json'. */
  protocol: string;
  /** Operation name → input shape name (null: the operation takes no input). */
  operations: Record<string, { input: string | null; http: { method: string; requestUri: string; responseCode?: number } }>;
  shapes: Record<string, ShapeDef>;
}
