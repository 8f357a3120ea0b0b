import { createRequire } from 'node:module';
import type Jsonata from 'jsonata';
import type { Json } from './skill-types.js';

/** What an expression is evaluated against: `input`, `steps`, and in a foreach `item` and `index` (also bound as `$input`...). */
export interface Scope {
  input: Json;
  steps: Record<string, Json>;
  item?: Json;
  index?: number;
}

/** A compiled template: evaluates to a JSON value in a scope. */
export interface Template {
  evaluate(scope: Scope): Promise<Json>;
  /** Step ids its expressions read (`steps.<id>` or `$steps.<id>`). */
  readonly refs: ReadonlySet<string>;
  /** It reads `item` or `index` (only meaningful inside a foreach). */
  readonly usesItem: boolean;
}

/** A template or expression that could not be compiled or evaluated; `where` names the field. */
export class TemplateError extends Error {
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'TemplateError';
  }
}

const WHOLE = /^\s*\{\{([\s\S]*)\}\}\s*$/;
const PART = /\{\{([\s\S]*?)\}\}/g;
/** Longest expression accepted; templates come from skill files, which are checked but not trusted. */
const MAX_EXPRESSION = 10_000;
/** Deepest template nesting walked (arguments objects). */
const MAX_DEPTH = 32;

/**
 * Compiles a template. A string that is one `{{ expression }}` evaluates to the expression's value
 * (any JSON type); a string with `{{ }}` parts among text is a string with each part's value
 * inserted (strings as they are, other values as JSON); objects and arrays are templates field by
 * field; anything else is a literal. Expressions are JSONata (https://jsonata.org).
 */
export function compileTemplate(value: unknown, where: string, depth = 0): Template {
  if (depth > MAX_DEPTH) throw new TemplateError(where, `nested deeper than ${MAX_DEPTH} levels`);
  if (typeof value === 'string') return compileString(value, where);
  if (Array.isArray(value)) {
    const parts = value.map((v, i) => compileTemplate(v, `${where}[${i}]`, depth + 1));
    return combine(parts, async (scope) => Promise.all(parts.map((p) => p.evaluate(scope))));
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [k, compileTemplate(v, `${where}.${k}`, depth + 1)] as const);
    return combine(entries.map(([, t]) => t), async (scope) => {
      const out: Record<string, Json> = {};
      for (const [k, t] of entries) {
        const v = await t.evaluate(scope);
        // An expression that gives nothing (JSONata's undefined) leaves the field out.
        if (v !== undefined) out[k] = v;
      }
      return out;
    });
  }
  const literal = (value ?? null) as Json;
  return { evaluate: () => Promise.resolve(literal), refs: new Set(), usesItem: false };
}

/** Compiles one bare expression (for `foreach` and `when`, written with or without `{{ }}`). */
export function compileExpression(text: string, where: string): Template {
  const m = WHOLE.exec(text);
  return compileOne(m === null ? text : m[1]!, where);
}

function compileString(text: string, where: string): Template {
  const whole = WHOLE.exec(text);
  if (whole !== null && !whole[1]!.includes('}}')) return compileOne(whole[1]!, where);
  const pieces: (string | Template)[] = [];
  let last = 0;
  for (const m of text.matchAll(PART)) {
    if (m.index > last) pieces.push(text.slice(last, m.index));
    pieces.push(compileOne(m[1]!, where));
    last = m.index + m[0].length;
  }
  if (pieces.length === 0) return { evaluate: () => Promise.resolve(text), refs: new Set(), usesItem: false };
  if (last < text.length) pieces.push(text.slice(last));
  const exprs = pieces.filter((p): p is Template => typeof p !== 'string');
  return combine(exprs, async (scope) => {
    let out = '';
    for (const p of pieces) {
      if (typeof p === 'string') out += p;
      else {
        const v = await p.evaluate(scope);
        out += v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      }
    }
    return out;
  });
}

/**
 * JSONata, required on first use rather than imported: its 300 KB of source would otherwise be
 * compiled at every start of the gateway and the CLI, skills or not.
 */
let jsonataModule: typeof Jsonata | null = null;

function jsonata(source: string): Jsonata.Expression {
  jsonataModule ??= createRequire(import.meta.url)('jsonata') as typeof Jsonata;
  return jsonataModule(source);
}

function compileOne(source: string, where: string): Template {
  if (source.trim().length === 0) throw new TemplateError(where, 'empty expression {{ }}');
  if (source.length > MAX_EXPRESSION) throw new TemplateError(where, `expression longer than ${MAX_EXPRESSION} characters`);
  let expr: Jsonata.Expression;
  try {
    expr = jsonata(source);
  } catch (err) {
    throw new TemplateError(where, `bad expression "${clip(source)}": ${describeJsonataError(err)}`);
  }
  const refs = new Set<string>();
  const usesItem = collectRefs(expr.ast(), refs);
  return {
    refs,
    usesItem,
    async evaluate(scope) {
      try {
        const bindings: Record<string, unknown> = { input: scope.input, steps: scope.steps };
        if (scope.item !== undefined) bindings.item = scope.item;
        if (scope.index !== undefined) bindings.index = scope.index;
        const v = (await expr.evaluate(scope, bindings)) as unknown;
        return toJson(v);
      } catch (err) {
        throw new TemplateError(where, `expression "${clip(source)}" failed: ${describeJsonataError(err)}`);
      }
    },
  };
}

function combine(parts: readonly Template[], evaluate: (scope: Scope) => Promise<Json>): Template {
  const refs = new Set<string>();
  let usesItem = false;
  for (const p of parts) {
    for (const r of p.refs) refs.add(r);
    usesItem ||= p.usesItem;
  }
  return { evaluate, refs, usesItem };
}

type Node = { type?: string; value?: unknown; steps?: Node[]; [k: string]: unknown };

/** Walks a JSONata AST for `steps.<id>` / `$steps.<id>` (adds `<id>` to refs); returns whether `item`/`index` is read. */
function collectRefs(node: unknown, refs: Set<string>): boolean {
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) return node.map((n) => collectRefs(n, refs)).some(Boolean);
  const n = node as Node;
  let usesItem = false;
  if (n.type === 'path' && Array.isArray(n.steps) && n.steps.length >= 2) {
    const head = n.steps[0]!;
    if ((head.type === 'name' || head.type === 'variable') && head.value === 'steps' && n.steps[1]!.type === 'name') refs.add(String(n.steps[1]!.value));
  }
  if ((n.type === 'name' || n.type === 'variable') && (n.value === 'item' || n.value === 'index')) usesItem = true;
  for (const [k, v] of Object.entries(n)) {
    if (k === 'position' || k === 'value' && typeof v !== 'object') continue;
    if (collectRefs(v, refs)) usesItem = true;
  }
  return usesItem;
}

/** A JSONata result as plain JSON (its sequences are arrays with extra fields; functions are dropped). */
function toJson(v: unknown): Json {
  if (v === undefined) return undefined as unknown as Json;
  if (typeof v === 'function') return null;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (typeof v !== 'object' || v === null) return v as Json;
  return JSON.parse(JSON.stringify(v)) as Json;
}

function describeJsonataError(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: number };
  const at = typeof e.position === 'number' ? ` at character ${e.position}` : '';
  return `${e.message ?? String(err)}${e.code ? ` (${e.code}${at})` : at}`;
}

function clip(s: string): string {
  const t = s.trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}
