import type { McpToolShape } from '../workers/index.js';
import type { MergedView, Owner } from './merged-view.js';
import type { Item } from './upstream-types.js';

/** Arguments a shaped tool's calls get, by the owner its shaped name routes to. */
const fixedOf = new WeakMap<Owner, Readonly<Record<string, unknown>>>();

/**
 * A strategy's tool shaping applied to its merged tool list (already filtered by its access rules):
 * a tool keyed by its exposed name gets its new name, title or description, and loses the fixed
 * arguments from its input schema (properties and `required`). Every other field is kept as it came.
 * A new name that another tool already has is not applied (the tool keeps its name): one name never
 * routes to two tools. Returns the view unchanged when nothing is shaped; else a new view whose
 * owners route each shaped name to the tool's upstream name, with its fixed arguments.
 */
export function shapeTools(view: MergedView, shapes: Readonly<Record<string, McpToolShape>>): MergedView {
  let applies = false;
  for (const key in shapes) if (view.owners.has(key)) { applies = true; break; }
  if (!applies) return view;
  const taken = new Set(view.owners.keys());
  const items: Item[] = [];
  const owners = new Map<string, Owner>();
  for (const item of view.items) {
    const key = String(item.name);
    const owner = view.owners.get(key);
    const shape = Object.hasOwn(shapes, key) ? shapes[key] : undefined;
    if (owner === undefined || shape === undefined) {
      items.push(item);
      if (owner !== undefined) owners.set(key, owner);
      continue;
    }
    let name = key;
    if (shape.name !== undefined && shape.name !== key && !taken.has(shape.name)) {
      taken.delete(key);
      taken.add(shape.name);
      name = shape.name;
    }
    const shaped: Item = { ...item, name };
    if (shape.title !== undefined) shaped.title = shape.title;
    if (shape.description !== undefined) shaped.description = shape.description;
    const fixed = Object.keys(shape.fixed_arguments);
    if (fixed.length > 0) shaped.inputSchema = withoutProperties(item.inputSchema, fixed);
    const routed: Owner = { ...owner };
    if (fixed.length > 0) fixedOf.set(routed, shape.fixed_arguments);
    items.push(shaped);
    owners.set(name, routed);
  }
  return { ...view, items, owners };
}

/** The `tools/call` params for upstream: the tool's upstream name, and its fixed arguments over the client's. */
export function upstreamCall(owner: Owner, params: Item): Item {
  const fixed = fixedOf.get(owner);
  const out: Item = { ...params, name: owner.original };
  if (fixed !== undefined) {
    const given = params.arguments;
    out.arguments = { ...(typeof given === 'object' && given !== null && !Array.isArray(given) ? given : {}), ...fixed };
  }
  return out;
}

function withoutProperties(schema: unknown, names: readonly string[]): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const s = { ...(schema as Item) };
  if (typeof s.properties === 'object' && s.properties !== null) {
    const props = { ...(s.properties as Item) };
    for (const n of names) delete props[n];
    s.properties = props;
  }
  if (Array.isArray(s.required)) s.required = s.required.filter((r) => !names.includes(String(r)));
  return s;
}
