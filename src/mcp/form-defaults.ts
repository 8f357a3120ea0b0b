import type { Item } from './upstream-types.js';

/**
 * The most schema nodes (properties and `anyOf`/`oneOf` branches) one answer is filled from. A form
 * is a flat list of primitive fields; a schema beyond this is not a form a person fills in, and its
 * answer is passed on without defaults rather than keep the MCP actor busy.
 */
export const FORM_DEFAULTS_MAX_NODES = 10_000;

/** What filling one answer cost: schema nodes visited, answer objects copied, and the keys those copies took. */
export interface FormDefaultsWork {
  nodes: number;
  copies: number;
  copiedKeys: number;
}

/**
 * `content` (an accepted form elicitation's answer) with the defaults of `schema` (the request's
 * `requestedSchema`) filled in where the answer leaves a field out: what the SDK client does for a
 * client that declares `elicitation.form.applyDefaults` (SEP-1034), written here because the SDK
 * applies it only inside its own request handlers and does not export it. As the SDK: object
 * properties, nested objects, and the branches of `anyOf`/`oneOf`; a value the answer gave is never
 * replaced. Returns a new object; `content` is not changed. The recursion follows the schema and
 * the answer together, both already within the gateway's nesting limit. The schema is the
 * upstream's, so hostile: each answer object is copied once however many branches name it (the
 * work grows with the schema plus the answer, never their product), a schema with more than
 * `FORM_DEFAULTS_MAX_NODES` nodes fills nothing (`content` is returned as it is), and the fields
 * are own properties only (a field named `constructor` gets its default; one named `__proto__` is a
 * plain field, as JSON.parse makes it). `work`, if given, receives what the fill cost.
 */
export function withFormDefaults(schema: Item, content: Item, work: FormDefaultsWork = { nodes: 0, copies: 0, copiedKeys: 0 }): Item {
  const fill = new Filler(work);
  const filled = fill.copyOf(content);
  try {
    fill.into(schema, filled);
  } catch (err) {
    if (err instanceof TooMuchSchema) return content;
    throw err;
  }
  return filled;
}

class TooMuchSchema extends Error {}

class Filler {
  readonly #work: FormDefaultsWork;
  /** The answer objects that are this fill's own copies: changed in place, never copied again. */
  readonly #own = new WeakSet<object>();

  constructor(work: FormDefaultsWork) {
    this.#work = work;
  }

  into(schema: Item, data: Item): void {
    this.#visit();
    const props = schema.properties;
    if (schema.type === 'object' && isObject(props)) {
      for (const key of Object.keys(props)) {
        this.#visit();
        const prop = props[key];
        if (!isObject(prop)) continue;
        let value = Object.hasOwn(data, key) ? data[key] : undefined;
        if (value === undefined && Object.hasOwn(prop, 'default')) {
          value = clone(prop.default);
          if (isObject(value)) this.#own.add(value);
          setField(data, key, value);
        } else if (isObject(value) && !this.#own.has(value)) {
          value = this.copyOf(value);
          setField(data, key, value);
        }
        if (isObject(value)) this.into(prop, value);
      }
    }
    for (const branches of [schema.anyOf, schema.oneOf]) {
      if (!Array.isArray(branches)) continue;
      for (const sub of branches) if (isObject(sub)) this.into(sub, data);
    }
  }

  copyOf(value: Item): Item {
    const keys = Object.keys(value);
    this.#work.copies++;
    this.#work.copiedKeys += keys.length;
    const copy: Item = {};
    for (const key of keys) setField(copy, key, value[key]);
    this.#own.add(copy);
    return copy;
  }

  #visit(): void {
    if (++this.#work.nodes > FORM_DEFAULTS_MAX_NODES) throw new TooMuchSchema();
  }
}

/** Sets an own field, as JSON.parse would: `__proto__` too is a plain field, not the object's prototype. */
function setField(target: Item, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A default as a value of its own (the answer may be changed later without touching the schema). */
function clone(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
