import {
  checkToolArguments, readSkillFile, runSkill, SKILL_READ_TOOL, SKILL_TOOL_PREFIX, SkillRegistry,
  type Json, type JsonObject, type LoadedSkill, type RunOutcome, type SkillIssue, type SkillRunHost, type StepReport,
} from '../skills/index.js';
import type { SkillRunInfo, SkillStepRecord } from '../workers/index.js';
import type { McpPolicy } from './access-policy.js';
import type { MergedView } from './merged-view.js';
import type { Item } from './upstream-types.js';

/** The skills a tools view offers, by exposed tool name (`skills__read` maps to null). */
const skillsOfView = new WeakMap<MergedView, Map<string, LoadedSkill | null>>();
/** Longest part of a skill's SKILL.md body put into its tool description (the rest is read with skills__read). */
const MAX_BODY_IN_DESCRIPTION = 4000;
const MAX_LISTED_SKILLS = 200;

export interface SkillCatalogEvents {
  /** The skill set changed (a reload): views must be rebuilt and clients told. */
  changed(): void;
  /** Problems found while loading (logged once per distinct set). */
  issues(issues: readonly SkillIssue[]): void;
}

/** What a skill run needs from the session that called it. */
export interface SkillCallContext {
  signal: AbortSignal;
  progressToken: string | number | undefined;
  notify(method: string, params: Item): Promise<void>;
  callTool(name: string, args: JsonObject, signal: AbortSignal): Promise<Item>;
  callModel(body: JsonObject, signal: AbortSignal): Promise<{ text: string; model: string | null; inputTokens: number; outputTokens: number; costUsd: number }>;
}

/**
 * The skills of the MCP actor: the registry of the configured folders (watched, reloaded live), the
 * `skills__<name>` and `skills__read` tools each strategy may see (added to its tools view), and the
 * runs of those tools.
 */
export class SkillCatalog {
  readonly #registry: SkillRegistry;
  #lastIssues = '';

  constructor(events: SkillCatalogEvents) {
    this.#registry = new SkillRegistry({
      changed: () => events.changed(),
      issues: (issues) => {
        const key = JSON.stringify(issues);
        if (key === this.#lastIssues) return;
        this.#lastIssues = key;
        events.issues(issues);
      },
    });
  }

  get count(): number {
    return this.#registry.skills.size;
  }

  configure(paths: readonly string[]): void {
    this.#registry.configure(paths);
  }

  close(): void {
    this.#registry.close();
  }

  /**
   * `view` (a strategy's tools, filtered and shaped) with the skills `policy` allows added: one tool
   * per runnable skill, and `skills__read` when there are instruction-only ones. A skill whose steps
   * call tools missing from the view is still listed, with those tools named in its description and
   * `_meta` (its run fails at the step that calls one). Upstream tools named like a skill tool give way.
   */
  withSkills(view: MergedView, policy: McpPolicy): MergedView {
    const allowed = [...this.#registry.skills.values()].filter((s) => policy.skillAllowed(s.def.name)).slice(0, MAX_LISTED_SKILLS);
    if (allowed.length === 0) return view;
    const offered = new Map<string, LoadedSkill | null>();
    const items: Item[] = [];
    for (const skill of allowed) {
      if (skill.workflow === null) continue;
      const name = `${SKILL_TOOL_PREFIX}${skill.def.name}`;
      offered.set(name, skill);
      const mismatches = checkToolArguments(skill, (tool) => inputSchemaOf(view, tool)).map((i) => `step ${i.step}: ${i.reason}`);
      items.push(skillTool(skill, name, missingTools(skill, view), mismatches));
    }
    const instructions = allowed.filter((s) => s.workflow === null);
    if (instructions.length > 0) {
      offered.set(SKILL_READ_TOOL, null);
      items.push(readTool(instructions, allowed));
    }
    const owners = new Map(view.owners);
    for (const name of offered.keys()) owners.delete(name);
    const out: MergedView = { ...view, items: [...view.items.filter((i) => !offered.has(String(i.name))), ...items], owners };
    skillsOfView.set(out, offered);
    return out;
  }

  /** Whether `name` is a skill tool a session with `policy` sees (the same rule as {@link withSkills}). */
  offers(policy: McpPolicy, name: string): boolean {
    if (!name.startsWith(SKILL_TOOL_PREFIX)) return false;
    const skills = this.#registry.skills;
    if (name === SKILL_READ_TOOL) {
      for (const s of skills.values()) if (s.workflow === null && policy.skillAllowed(s.def.name)) return true;
      return false;
    }
    const skill = skills.get(name.slice(SKILL_TOOL_PREFIX.length));
    return skill !== undefined && skill.workflow !== null && policy.skillAllowed(skill.def.name);
  }

  /** Runs the skill tool `name` of `view` (see {@link offers}); resolves with the tools/call result and the run's record. */
  async call(view: MergedView, name: string, args: unknown, ctx: SkillCallContext, policy: McpPolicy): Promise<{ result: Item; run: SkillRunInfo | null }> {
    const offered = skillsOfView.get(view);
    const skill = offered?.get(name);
    if (name === SKILL_READ_TOOL) return { result: this.#read(args, policy), run: null };
    if (skill === undefined || skill === null) return { result: errorResult(`Unknown tool: ${name}`), run: null };
    const issues = checkToolArguments(skill, (tool) => inputSchemaOf(view, tool));
    if (issues.length > 0) {
      const text = issues.map((i) => `${i.file}${i.step === null ? '' : ` step ${i.step}`}: ${i.reason}`).join('\n');
      return { result: errorResult(`skill ${skill.def.name} does not fit the tools this client has:\n${text}`), run: { skill: skill.def.name, status: 'error', failedStep: issues[0]!.step, error: `does not fit the tools this client has: ${issues[0]!.reason}`, steps: [] } };
    }
    const host: SkillRunHost = {
      callTool: (tool, a, signal) => ctx.callTool(tool, a, signal),
      callModel: (body, signal) => ctx.callModel(body, signal),
      stepDone: (report, done, total) => {
        if (ctx.progressToken === undefined) return;
        void ctx.notify('notifications/progress', { progressToken: ctx.progressToken, progress: done, total, message: describeStep(report) }).catch(() => undefined);
      },
    };
    const outcome = await runSkill(skill, args, host, ctx.signal);
    return { result: resultOf(skill, outcome), run: runInfo(skill.def.name, outcome) };
  }

  #read(args: unknown, policy: McpPolicy): Item {
    const a = (typeof args === 'object' && args !== null ? args : {}) as { name?: unknown; path?: unknown };
    const name = typeof a.name === 'string' ? a.name : '';
    const skill = this.#registry.skills.get(name);
    if (skill === undefined || !policy.skillAllowed(name)) return errorResult(`no skill "${name.slice(0, 100)}" for this client`);
    if (a.path !== undefined && typeof a.path !== 'string') return errorResult('path must be a string');
    const read = readSkillFile(skill, a.path as string | undefined);
    if ('error' in read) return errorResult(read.error);
    return { content: [{ type: 'text', text: read.text }] };
  }
}

function skillTool(skill: LoadedSkill, name: string, missing: string[], mismatches: string[]): Item {
  const d = skill.def;
  let description = d.description;
  if (d.body.length > 0) description += `\n\n${d.body.length > MAX_BODY_IN_DESCRIPTION ? `${d.body.slice(0, MAX_BODY_IN_DESCRIPTION)}\n[…]` : d.body}`;
  if (missing.length > 0) description += `\n\nNot available to this client: ${missing.join(', ')} (not connected, or denied by its strategy); a run fails at the step that calls one.`;
  if (mismatches.length > 0) description += `\n\nDoes not fit the tools it calls (a run fails before its first step): ${mismatches.join('; ')}`;
  const item: Item = { name, title: d.title ?? d.name, description, inputSchema: d.input };
  if (d.output !== undefined) item.outputSchema = d.output;
  if (d.annotations !== undefined) item.annotations = d.annotations;
  item._meta = { 'localrouter/skill': { version: d.version, requires: d.requires, steps: skill.def.workflow?.steps.length ?? 0, ...(missing.length > 0 ? { unavailable: missing } : {}), ...(mismatches.length > 0 ? { issues: mismatches } : {}) } };
  return item;
}

function readTool(instructions: LoadedSkill[], allowed: LoadedSkill[]): Item {
  const list = instructions.map((s) => `- ${s.def.name}: ${s.def.description.split('\n')[0]!.slice(0, 300)}`).join('\n');
  return {
    name: SKILL_READ_TOOL,
    title: 'Read a skill',
    description: `Reads a skill's instructions (its SKILL.md; with path, another file of its folder, such as a script or reference it mentions). Skills you may use:\n${list}`,
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', enum: allowed.map((s) => s.def.name), description: 'the skill' },
        path: { type: 'string', description: 'a file inside the skill folder (default SKILL.md)' },
      },
      required: ['name'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  };
}

/** Tools a skill's steps call that the view does not have. */
function missingTools(skill: LoadedSkill, view: MergedView): string[] {
  const out = new Set<string>();
  for (const step of skill.def.workflow?.steps ?? []) if (step.tool !== undefined && !view.owners.has(step.tool)) out.add(step.tool);
  return [...out];
}

function inputSchemaOf(view: MergedView, tool: string): unknown {
  if (!view.owners.has(tool)) return undefined;
  return view.items.find((i) => i.name === tool)?.inputSchema;
}

function describeStep(r: StepReport): string {
  const items = r.items !== 1 ? `, ${r.items} items` : '';
  const target = r.target === null ? '' : ` (${r.target})`;
  const why = r.error === null ? '' : `: ${r.error}`;
  return `step ${r.id}${target}: ${r.status}${items}, ${Math.round(r.durationMs)} ms${why}`;
}

function resultOf(skill: LoadedSkill, o: RunOutcome): Item {
  const steps = o.steps.map(stepRecord);
  if (o.status === 'ok') {
    const out = o.output;
    const result: Item = { content: [{ type: 'text', text: typeof out === 'string' ? out : JSON.stringify(out, null, 2) }] };
    if (typeof out === 'object' && out !== null && !Array.isArray(out)) result.structuredContent = out;
    result._meta = { 'localrouter/skill': { skill: skill.def.name, status: o.status, steps } };
    return result;
  }
  const where = o.error?.step == null ? '' : ` at step ${o.error.step}`;
  const text = `skill ${skill.def.name} ${o.status === 'cancelled' ? 'was cancelled' : 'failed'}${where}: ${o.error?.message ?? 'unknown error'}`;
  const content: Item[] = [{ type: 'text', text }];
  const partial: Record<string, Json> = o.values;
  if (Object.keys(partial).length > 0) content.push({ type: 'text', text: `partial results of the steps that finished:\n${JSON.stringify(partial, null, 2)}` });
  return { isError: true, content, _meta: { 'localrouter/skill': { skill: skill.def.name, status: o.status, failed_step: o.error?.step ?? null, steps, partial } } };
}

function runInfo(name: string, o: RunOutcome): SkillRunInfo {
  return { skill: name, status: o.status, failedStep: o.error?.step ?? null, error: o.error?.message ?? null, steps: o.steps.map(stepRecord) };
}

function stepRecord(r: StepReport): SkillStepRecord {
  return {
    id: r.id, kind: r.kind, status: r.status, duration_ms: Math.round(r.durationMs * 1000) / 1000, target: r.target, items: r.items, error: r.error,
    input_tokens: r.inputTokens, output_tokens: r.outputTokens, cost_usd: r.costUsd,
  };
}

function errorResult(text: string): Item {
  return { isError: true, content: [{ type: 'text', text }] };
}
