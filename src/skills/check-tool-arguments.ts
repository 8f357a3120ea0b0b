import type { LoadedSkill } from './load-skills.js';
import type { SkillIssue } from './skill-types.js';

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: unknown; additionalProperties?: unknown };

/**
 * Checks a skill's tool steps against the input schemas of the tools as the client sees them
 * (`schemaOf` gives undefined for a tool the client does not have: such a step fails when it is
 * reached, and the listing says so): a required argument the step never gives, an argument the tool does not take (`additionalProperties:
 * false`), and a literal argument of the wrong JSON type. Arguments computed by expressions are
 * checked by the tool when called.
 */
export function checkToolArguments(skill: LoadedSkill, schemaOf: (tool: string) => unknown): SkillIssue[] {
  const issues: SkillIssue[] = [];
  const wf = skill.def.workflow;
  if (wf === null) return issues;
  for (const step of wf.steps) {
    if (step.kind !== 'tool' || step.tool === undefined) continue;
    const issue = (reason: string): void => { issues.push({ file: wf.file, step: step.id, reason }); };
    const schema = schemaOf(step.tool) as Schema | undefined;
    if (schema === undefined || schema === null) continue;
    const args = step.arguments;
    // A whole-string expression gives the arguments only at run time.
    if (typeof args !== 'object' || args === null || Array.isArray(args)) continue;
    const given = args as Record<string, unknown>;
    const props = typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const r of schema.required) if (typeof r === 'string' && !(r in given)) issue(`arguments: "${r}" is required by ${step.tool}`);
    }
    for (const [k, v] of Object.entries(given)) {
      const prop = Object.hasOwn(props, k) ? props[k] : undefined;
      if (prop === undefined) {
        if (schema.additionalProperties === false) issue(`arguments: ${step.tool} takes no argument "${k}"`);
        continue;
      }
      if (typeof v === 'string' && v.includes('{{')) continue;
      const mismatch = typeMismatch(prop.type, v);
      if (mismatch !== null) issue(`arguments.${k}: type mismatch: ${step.tool} wants ${mismatch}, the step gives ${jsonType(v)}`);
    }
  }
  return issues;
}

function typeMismatch(type: unknown, v: unknown): string | null {
  const wanted = typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
  if (wanted.length === 0) return null;
  const have = jsonType(v);
  const ok = wanted.some((t) => t === have || (t === 'number' && have === 'integer'));
  return ok ? null : wanted.join(' or ');
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
