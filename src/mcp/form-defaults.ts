import type { Item } from './upstream-types.js';

/**
 * `content` (an accepted form elicitation's answer) with the defaults of `schema` (the request's
 * `requestedSchema`) filled in where the answer leaves a field out: what the SDK client does for a
 * client that declares `elicitation.form.applyDefaults` (SEP-1034), written here because the SDK
 * applies it only inside its own request handlers and does not export it. As the SDK: object
 * properties, nested objects, and the branches of `anyOf`/`oneOf`; a value the answer gave is never
 * replaced. Returns a new object; `content` is not changed. The recursion follows the schema and
 * the answer together, both already within the gateway's nesting limit.
 */
export function withFormDefaults(schema: Item, content: Item): Item {
  const filled = { ...content };
  fill(schema, filled);
  return filled;
}

function fill(schema: Item, data: unknown): void {
  if (!isObject(data)) return;
  const props = schema.properties;
  if (schema.type === 'object' && isObject(props)) {
    for (const key of Object.keys(props)) {
      const prop = props[key];
      if (!isObject(prop)) continue;
      if (data[key] === undefined && Object.hasOwn(prop, 'default')) data[key] = copy(prop.default);
      else if (isObject(data[key])) data[key] = { ...(data[key] as Item) };
      if (data[key] !== undefined) fill(prop, data[key]);
    }
  }
  for (const branches of [schema.anyOf, schema.oneOf]) {
    if (!Array.isArray(branches)) continue;
    for (const sub of branches) if (isObject(sub)) fill(sub, data);
  }
}

/** A default as a value of its own (the answer may be changed later without touching the schema). */
function copy(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
