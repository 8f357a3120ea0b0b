import { badRequest, isObject, unsupported } from './request-errors.js';

/**
 * OpenAI JSON Schema → the JSON Schema subset Gemini accepts in `parametersJsonSchema` and
 * `responseJsonSchema`. The subset is the list documented on `GenerationConfig.response_json_schema`
 * (google/ai/generativelanguage/v1beta/generative_service.proto):
 */
const SUPPORTED = new Set([
  '$id', '$defs', '$ref', '$anchor', 'type', 'format', 'title', 'description', 'enum', 'items', 'prefixItems',
  'minItems', 'maxItems', 'minimum', 'maximum', 'anyOf', 'oneOf', 'properties', 'additionalProperties', 'required',
  'propertyOrdering',
]);

/** Annotations: they never change which values are valid, so leaving them out changes nothing. */
const ANNOTATIONS = new Set([
  '$schema', '$comment', 'examples', 'example', 'default', 'deprecated', 'readOnly', 'writeOnly',
  'contentMediaType', 'contentEncoding',
]);

/**
 * Assertions Gemini does not enforce. With `strict: true` the client demands enforcement, so they
 * are rejected; otherwise they are kept as text in the schema's `description`, which the model reads.
 */
const UNENFORCED = new Set([
  'minLength', 'maxLength', 'pattern', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems',
  'minProperties', 'maxProperties', 'dependentRequired',
]);

/** Keywords whose meaning depends on sub-schemas Gemini cannot take: always rejected. */
const STRUCTURAL = new Set([
  'not', 'if', 'then', 'else', 'allOf', 'patternProperties', 'dependentSchemas', 'dependencies', 'contains',
  'minContains', 'maxContains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems',
  '$dynamicRef', '$dynamicAnchor', '$recursiveRef', '$recursiveAnchor', '$vocabulary',
]);

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

export interface SchemaOptions {
  /** The client's `strict` flag: unenforceable assertions are rejected instead of described. */
  strict: boolean;
  /** The request parameter that holds the schema, for error messages. */
  param: string;
}

/**
 * Converts one schema. Other rewrites: `const` → one-value `enum`, `definitions` → `$defs`,
 * a one-element `allOf` merged into its parent, `nullable: true` (OpenAPI) → a `"null"` type,
 * tuple-style `items: [...]` → `prefixItems`, and `$ref` with sibling keywords wrapped in `anyOf`
 * (Gemini allows only `$`-keywords next to `$ref`). Unknown keywords carry no meaning in JSON
 * Schema and are not sent.
 */
export function toGeminiSchema(schema: unknown, opts: SchemaOptions): Record<string, unknown> {
  if (!isObject(schema)) throw badRequest(opts.param, `"${opts.param}" must be a JSON Schema object`);
  return convert(schema, '#', opts);
}

function convert(node: unknown, path: string, o: SchemaOptions): Record<string, unknown> {
  if (node === true) return {};
  if (!isObject(node)) throw badRequest(o.param, `${where(o, path)} must be a JSON Schema object`);
  const src = unwrapAllOf(node, path, o);
  const out: Record<string, unknown> = {};
  const notes: string[] = [];
  let nullable = false;
  for (const [k, v] of Object.entries(src)) {
    if (k === 'items' && Array.isArray(v)) {
      if ('prefixItems' in src) throw reject(o, path, k, 'as a list next to "prefixItems"');
      out.prefixItems = supported('prefixItems', v, path, o);
    } else if (SUPPORTED.has(k)) {
      out[k] = supported(k, v, path, o);
    } else if (k === 'definitions') {
      if ('$defs' in src) throw reject(o, path, k, 'next to "$defs"');
      out.$defs = supported('$defs', v, path, o);
    } else if (k === 'const') {
      if ('enum' in src) throw reject(o, path, k, 'next to "enum"');
      if (typeof v !== 'string' && typeof v !== 'number') throw reject(o, path, k, 'with a value that is not a string or number');
      out.enum = [v];
    } else if (k === 'nullable') {
      nullable = v === true;
    } else if (UNENFORCED.has(k)) {
      if (o.strict) throw reject(o, path, k, 'in a strict schema (Gemini does not enforce it)');
      notes.push(`${k}: ${JSON.stringify(v)}`);
    } else if (STRUCTURAL.has(k)) {
      throw reject(o, path, k, '');
    }
    // Annotations, `x-` extensions and unknown keywords: no effect on validity.
  }
  if (nullable) addNullType(out);
  if (notes.length > 0) {
    const text = `(${notes.join(', ')})`;
    out.description = typeof out.description === 'string' && out.description.length > 0 ? `${out.description} ${text}` : text;
  }
  return '$ref' in out ? isolateRef(out) : out;
}

function supported(k: string, v: unknown, path: string, o: SchemaOptions): unknown {
  switch (k) {
    case 'properties':
    case '$defs': {
      if (!isObject(v)) throw badRequest(o.param, `${where(o, path)}: "${k}" must be an object`);
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(v)) out[name] = convert(sub, `${path}/${k}/${name}`, o);
      return out;
    }
    case 'items':
      if (v === false) throw reject(o, path, 'items', 'set to false');
      return convert(v, `${path}/items`, o);
    case 'prefixItems':
    case 'anyOf':
    case 'oneOf':
      if (!Array.isArray(v) || v.length === 0) throw badRequest(o.param, `${where(o, path)}: "${k}" must be a non-empty array`);
      return schemaList(v, `${path}/${k}`, o);
    case 'additionalProperties':
      return typeof v === 'boolean' ? v : convert(v, `${path}/additionalProperties`, o);
    case '$ref':
      if (typeof v !== 'string') throw badRequest(o.param, `${where(o, path)}: "$ref" must be a string`);
      return v.startsWith('#/definitions/') ? `#/$defs/${v.slice(14)}` : v;
    case 'enum':
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'string' && typeof e !== 'number')) {
        throw reject(o, path, 'enum', 'with values other than strings and numbers');
      }
      return v;
    case 'type':
      if (typeof v === 'string' ? !JSON_TYPES.has(v) : !Array.isArray(v) || v.some((t) => typeof t !== 'string' || !JSON_TYPES.has(t))) {
        throw badRequest(o.param, `${where(o, path)}: "type" must be a JSON Schema type or a list of them`);
      }
      return v;
    default:
      return v;
  }
}

function schemaList(list: unknown[], path: string, o: SchemaOptions): Record<string, unknown>[] {
  return list.map((s, i) => convert(s, `${path}/${i}`, o));
}

/** `{allOf: [X], ...rest}` → X merged with rest, when no keyword appears on both sides. */
function unwrapAllOf(node: Record<string, unknown>, path: string, o: SchemaOptions): Record<string, unknown> {
  const all = node.allOf;
  if (all === undefined) return node;
  if (!Array.isArray(all) || all.length !== 1 || !isObject(all[0])) throw reject(o, path, 'allOf', 'with more than one sub-schema');
  const { allOf: _, ...rest } = node;
  for (const k of Object.keys(all[0])) {
    if (k in rest) throw reject(o, path, 'allOf', `whose sub-schema repeats "${k}"`);
  }
  return { ...rest, ...all[0] };
}

function addNullType(out: Record<string, unknown>): void {
  if (typeof out.type === 'string') out.type = out.type === 'null' ? 'null' : [out.type, 'null'];
  else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
}

/** Gemini allows only `$`-keywords next to `$ref`: the others move to a wrapper around it. */
function isolateRef(out: Record<string, unknown>): Record<string, unknown> {
  const dollar: Record<string, unknown> = {};
  const others: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) (k.startsWith('$') ? dollar : others)[k] = v;
  if (Object.keys(others).length === 0) return out;
  const { $ref, ...rest } = dollar;
  return { ...rest, ...others, anyOf: [{ $ref }] };
}

function where(o: SchemaOptions, path: string): string {
  return path === '#' ? `"${o.param}"` : `"${o.param}" at ${path}`;
}

function reject(o: SchemaOptions, path: string, keyword: string, detail: string): Error {
  return unsupported(o.param, `JSON Schema keyword "${keyword}"${detail ? ` ${detail}` : ''} in ${where(o, path)} cannot be expressed in a Gemini schema`);
}
