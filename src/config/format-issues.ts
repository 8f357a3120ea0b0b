import * as z from 'zod';
import { isMap, isPair, isScalar, type Document, type LineCounter } from 'yaml';
import { ConfigSchema } from './schema.js';

/** Where the YAML came from, so an issue can point at a line; absent when validating an object. */
export interface YamlSource {
  doc: Document;
  lineCounter: LineCounter;
}

/** `providers[0].base_url`, `server.port`, `providers[1].headers["x y"]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${out === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** One line per issue: `<file>: <path>: <reason>`, with ` (line N)` when the YAML node is known. */
export function formatIssues(
  file: string, issues: readonly z.core.$ZodIssue[], input: unknown, source?: YamlSource,
): string {
  return issues.map((issue) => {
    const where = issue.path.length === 0 ? '' : `${formatPath(issue.path)}: `;
    const line = source === undefined ? undefined : lineOf(source, issue);
    return `${file}: ${where}${reason(issue, input)}${line === undefined ? '' : ` (line ${line})`}`;
  }).join('\n');
}

function reason(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    const label = issue.keys.length === 1 ? 'unknown key' : 'unknown keys';
    return `${label} ${keys}${keyHint(issue.path, issue.keys)}`;
  }
  if (issue.code === 'invalid_type') {
    // Checked on the input because a field's custom message (e.g. base_url) also replaces zod's
    // "received undefined", which would tell someone who forgot the field that its format is wrong.
    if (valueAt(input, issue.path) === undefined) return `is required (expected ${issue.expected})`;
    if (issue.path.length === 0) return `the top level must be a mapping of keys (got ${kindOf(input)})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

function valueAt(input: unknown, segments: readonly PropertyKey[]): unknown {
  let v = input;
  for (const seg of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'a list' : typeof v;
}

/** "did you mean" for a near miss (a typo), else the list of allowed keys. */
function keyHint(path: readonly PropertyKey[], keys: readonly string[]): string {
  const allowed = allowedKeys(path);
  if (allowed === undefined) return '';
  if (keys.length === 1) {
    const near = allowed.find((k) => editDistance(k, keys[0].toLowerCase()) <= 2);
    if (near !== undefined) return ` (did you mean "${near}"?)`;
  }
  return ` (allowed: ${allowed.join(', ')})`;
}

function allowedKeys(path: readonly PropertyKey[]): string[] | undefined {
  let schema: unknown = ConfigSchema;
  for (const seg of path) {
    schema = unwrap(schema);
    if (typeof seg === 'number' && schema instanceof z.ZodArray) schema = schema.element;
    else if (typeof seg === 'string' && schema instanceof z.ZodObject) schema = schema.shape[seg];
    else return undefined;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

function unwrap(schema: unknown): unknown {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap();
  return s;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = saved;
    }
  }
  return row[b.length];
}

/** The line of the offending node, or of its closest ancestor present in the file (missing keys). */
function lineOf({ doc, lineCounter }: YamlSource, issue: z.core.$ZodIssue): number | undefined {
  if (issue.code === 'unrecognized_keys') {
    const map = doc.getIn(issue.path, true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && issue.keys.includes(String(p.key.value)));
      const range = pair !== undefined && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lineCounter.linePos(range[0]).line;
    }
  }
  for (let n = issue.path.length; n > 0; n--) {
    const node = doc.getIn(issue.path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node !== null && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
