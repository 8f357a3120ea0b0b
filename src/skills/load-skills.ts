import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { compileWorkflow, type CompiledWorkflow } from './compile-workflow.js';
import type { JsonObject, SkillDef, SkillIssue, StepDef } from './skill-types.js';

/** A skill as the gateway holds it: its definition and, for a runnable skill, its compiled workflow. */
export interface LoadedSkill {
  def: SkillDef;
  workflow: CompiledWorkflow | null;
}

/** Skills found under some paths, and every problem met (a skill with problems is left out). */
export interface SkillSet {
  skills: LoadedSkill[];
  issues: SkillIssue[];
}

export const SKILL_FILE = 'SKILL.md';
export const WORKFLOW_FILE = 'workflow.yaml';
/** Skill files are read whole: bigger ones are refused rather than half-read. */
const MAX_FILE_BYTES = 256 * 1024;
const MAX_STEPS = 100;
const MAX_SKILLS_PER_FOLDER = 500;
/** AgentSkills names: lowercase letters, digits and hyphens. */
const SKILL_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const STEP_ID = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const jsonObject = z.record(z.string(), z.unknown()) as unknown as z.ZodType<JsonObject>;
const schemaObject = jsonObject.refine((s) => s.type === undefined || s.type === 'object', 'must be a JSON Schema with type "object"');

const LlmSchema = z.strictObject({
  model: z.unknown().default('localrouter/auto'),
  system: z.unknown().optional(),
  prompt: z.unknown().optional(),
  messages: z.unknown().optional(),
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  output_schema: jsonObject.optional(),
});

const StepSchema = z.strictObject({
  id: z.string().regex(STEP_ID, 'must be a letter or "_" then letters, digits or "_" (at most 64): it is read as steps.<id>'),
  description: z.string().max(2000).optional(),
  tool: z.string().min(1).max(300).optional(),
  arguments: z.unknown().optional(),
  llm: LlmSchema.optional(),
  value: z.unknown().optional(),
  foreach: z.string().min(1).max(10_000).optional(),
  concurrency: z.number().int().min(1).max(32).default(4),
  when: z.string().min(1).max(10_000).optional(),
  needs: z.array(z.string()).max(MAX_STEPS).default([]),
  timeout_ms: z.number().int().min(1).max(3_600_000).default(60_000),
  retry: z.strictObject({ attempts: z.number().int().min(1).max(10).default(1), delay_ms: z.number().int().min(0).max(60_000).default(0) }).default({ attempts: 1, delay_ms: 0 }),
  continue_on_error: z.boolean().default(false),
});

const WorkflowSchema = z.strictObject({
  steps: z.array(StepSchema).min(1).max(MAX_STEPS),
  output: z.unknown().optional(),
});

const FrontMatterSchema = z.object({
  name: z.string().regex(SKILL_NAME, 'must be lowercase letters, digits and "-" (at most 64), starting with a letter or digit'),
  description: z.string().min(1).max(4000),
  version: z.union([z.string(), z.number()]).transform(String).default('0.0.0'),
  title: z.string().max(300).optional(),
  input: schemaObject.optional(),
  output: schemaObject.optional(),
  annotations: jsonObject.optional(),
  requires: z.union([
    z.array(z.string()),
    z.strictObject({ tools: z.array(z.string()).default([]), models: z.array(z.string()).default([]) }),
  ]).optional(),
  workflow: z.unknown().optional(),
});

/**
 * Loads every skill under `paths`. A path holding `SKILL.md` is one skill; any other folder is
 * searched one level down for skill folders. Problems are collected, not thrown: a broken skill is
 * left out and named with its file, step and reason; a name already taken is left out too.
 */
export function loadSkills(paths: readonly string[]): SkillSet {
  const out: SkillSet = { skills: [], issues: [] };
  const names = new Map<string, string>();
  for (const p of paths) {
    let dirs: string[];
    try {
      dirs = skillFolders(path.resolve(p), out.issues);
    } catch (err) {
      // An unreadable folder (permissions, removed mid-scan) is a problem of that path, never a crash.
      out.issues.push({ file: path.resolve(p), step: null, reason: `cannot read: ${firstLine(err)}` });
      continue;
    }
    for (const dir of dirs) {
      let loaded: ReturnType<typeof loadSkill>;
      try {
        loaded = loadSkill(dir);
      } catch (err) {
        out.issues.push({ file: path.join(dir, SKILL_FILE), step: null, reason: `cannot load: ${firstLine(err)}` });
        continue;
      }
      const { skill, issues } = loaded;
      out.issues.push(...issues);
      if (skill === null) continue;
      const other = names.get(skill.def.name);
      if (other !== undefined) {
        out.issues.push({ file: path.join(dir, SKILL_FILE), step: null, reason: `skill name "${skill.def.name}" is taken by ${other}; this one is left out` });
        continue;
      }
      names.set(skill.def.name, dir);
      out.skills.push(skill);
    }
  }
  return out;
}

/** The skill folders a configured path stands for. */
export function skillFolders(p: string, issues: SkillIssue[]): string[] {
  if (!existsSync(p)) {
    issues.push({ file: p, step: null, reason: 'no such file or folder' });
    return [];
  }
  if (!statSync(p).isDirectory()) {
    if (path.basename(p) === SKILL_FILE) return [path.dirname(p)];
    issues.push({ file: p, step: null, reason: `not a folder (a skill is a folder with ${SKILL_FILE})` });
    return [];
  }
  if (existsSync(path.join(p, SKILL_FILE))) return [p];
  const found = readdirSync(p, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(path.join(p, e.name, SKILL_FILE)))
    .map((e) => path.join(p, e.name)).sort();
  if (found.length === 0) issues.push({ file: p, step: null, reason: `no ${SKILL_FILE} in it or in its subfolders` });
  return found.slice(0, MAX_SKILLS_PER_FOLDER);
}

/** Loads and checks one skill folder. */
export function loadSkill(dir: string): { skill: LoadedSkill | null; issues: SkillIssue[] } {
  const skillFile = path.join(dir, SKILL_FILE);
  const issues: SkillIssue[] = [];
  const fail = (file: string, reason: string, step: string | null = null): { skill: null; issues: SkillIssue[] } => {
    issues.push({ file, step, reason });
    return { skill: null, issues };
  };
  const text = readSmall(skillFile);
  if (typeof text !== 'string') return fail(skillFile, text.error);
  const split = splitFrontMatter(text);
  if (split === null) return fail(skillFile, 'no YAML front matter (the file must start with a "---" line and close it with another)');
  let front: unknown;
  try {
    front = parseYaml(split.yaml, { maxAliasCount: 100 });
  } catch (err) {
    return fail(skillFile, `front matter is not valid YAML: ${firstLine(err)}`);
  }
  const fm = FrontMatterSchema.safeParse(front ?? {});
  if (!fm.success) {
    for (const i of fm.error.issues) issues.push({ file: skillFile, step: null, reason: `${i.path.join('.') || 'front matter'}: ${i.message}` });
    return { skill: null, issues };
  }
  const meta = fm.data;
  const workflowFile = path.join(dir, WORKFLOW_FILE);
  let rawWorkflow: unknown;
  let wfFile = skillFile;
  if (existsSync(workflowFile)) {
    if (meta.workflow !== undefined) return fail(workflowFile, `the workflow is given twice: in ${WORKFLOW_FILE} and in the front matter of ${SKILL_FILE}`);
    const wfText = readSmall(workflowFile);
    if (typeof wfText !== 'string') return fail(workflowFile, wfText.error);
    try {
      rawWorkflow = parseYaml(wfText, { maxAliasCount: 100 });
    } catch (err) {
      return fail(workflowFile, `not valid YAML: ${firstLine(err)}`);
    }
    wfFile = workflowFile;
  } else {
    rawWorkflow = meta.workflow;
  }
  let workflow: SkillDef['workflow'] = null;
  if (rawWorkflow !== undefined && rawWorkflow !== null) {
    const wf = WorkflowSchema.safeParse(rawWorkflow);
    if (!wf.success) {
      for (const i of wf.error.issues) issues.push({ file: wfFile, step: stepOf(rawWorkflow, i.path), reason: `${i.path.join('.') || 'workflow'}: ${i.message}` });
      return { skill: null, issues };
    }
    const steps: StepDef[] = [];
    const seen = new Set<string>();
    for (const s of wf.data.steps) {
      const kinds = (['tool', 'llm', 'value'] as const).filter((k) => s[k] !== undefined);
      if (kinds.length !== 1) issues.push({ file: wfFile, step: s.id, reason: 'a step has exactly one of tool, llm or value' });
      if (seen.has(s.id)) issues.push({ file: wfFile, step: s.id, reason: `duplicate step id "${s.id}"` });
      if (s.arguments !== undefined && s.tool === undefined) issues.push({ file: wfFile, step: s.id, reason: 'arguments belong to a tool step' });
      seen.add(s.id);
      steps.push({ ...s, kind: kinds[0] ?? 'value', llm: s.llm as StepDef['llm'] });
    }
    if (issues.length > 0) return { skill: null, issues };
    workflow = { steps, output: wf.data.output, file: wfFile };
  }
  const requires = Array.isArray(meta.requires) ? splitRequires(meta.requires) : meta.requires ?? { tools: [], models: [] };
  const def: SkillDef = {
    name: meta.name, description: meta.description, version: meta.version, dir, body: split.body.trim(),
    input: meta.input ?? { type: 'object', properties: {} }, requires,
    ...(meta.title !== undefined ? { title: meta.title } : {}),
    ...(meta.output !== undefined ? { output: meta.output } : {}),
    ...(meta.annotations !== undefined ? { annotations: meta.annotations } : {}),
    workflow,
  };
  if (def.input.type === undefined) def.input = { type: 'object', ...def.input };
  if (def.output !== undefined && def.output.type === undefined) def.output = { type: 'object', ...def.output };
  const compiled = compileWorkflow(def);
  if (compiled.issues.length > 0) return { skill: null, issues: compiled.issues };
  return { skill: { def, workflow: compiled.workflow }, issues };
}

/** `requires` as one list: names with `__` are tools, the rest (`provider/model`) models. */
function splitRequires(list: string[]): { tools: string[]; models: string[] } {
  return { tools: list.filter((r) => r.includes('__')), models: list.filter((r) => !r.includes('__')) };
}

function splitFrontMatter(text: string): { yaml: string; body: string } | null {
  const src = text.replace(/^\uFEFF/, '');
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(src);
  if (m === null) return null;
  return { yaml: m[1]!, body: src.slice(m[0].length) };
}

function readSmall(file: string): string | { error: string } {
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) return { error: `larger than ${MAX_FILE_BYTES / 1024} KB` };
    return readFileSync(file, 'utf8');
  } catch (err) {
    return { error: `cannot read: ${firstLine(err)}` };
  }
}

/** The step id an issue path inside `steps[i]` points at. */
function stepOf(raw: unknown, p: readonly PropertyKey[]): string | null {
  if (p[0] !== 'steps' || typeof p[1] !== 'number') return null;
  const step = (raw as { steps?: unknown[] }).steps?.[p[1]] as { id?: unknown } | undefined;
  return typeof step?.id === 'string' ? step.id : `#${p[1] + 1}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
