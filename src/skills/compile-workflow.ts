import { compileExpression, compileTemplate, TemplateError, type Template } from './template.js';
import { SKILL_TOOL_PREFIX, type SkillDef, type SkillIssue, type StepDef } from './skill-types.js';

/** A step ready to run: its templates compiled, its dependencies known. */
export interface CompiledStep {
  def: StepDef;
  /** Steps that must finish before it (references and `needs`). */
  deps: string[];
  arguments: Template | null;
  value: Template | null;
  foreach: Template | null;
  when: Template | null;
  llm: { model: Template; system: Template | null; prompt: Template | null; messages: Template | null } | null;
}

export interface CompiledWorkflow {
  steps: CompiledStep[];
  /** Steps in an order that respects dependencies. */
  order: string[];
  output: Template | null;
}

/** Exposed tool names: `<server>__<tool>` as clients of /mcp see them. */
const TOOL_NAME = /^[A-Za-z0-9_.-]+__[A-Za-z0-9_./-]+$/;

/**
 * Compiles a skill's workflow and checks it: every template and expression compiles; every
 * reference names an existing step other than the step itself; `item`/`index` only inside a
 * foreach; tools are `<server>__<tool>` names listed in `requires` (when it lists any) and never
 * another skill; literal models are listed in `requires` (when it lists any); no dependency cycle.
 * Returns the compiled workflow, or the issues found (each naming the file and the step).
 */
export function compileWorkflow(skill: SkillDef): { workflow: CompiledWorkflow | null; issues: SkillIssue[] } {
  const wf = skill.workflow;
  if (wf === null) return { workflow: null, issues: [] };
  const issues: SkillIssue[] = [];
  const file = wf.file;
  const ids = new Set(wf.steps.map((s) => s.id));
  const steps: CompiledStep[] = [];
  for (const def of wf.steps) {
    const issue = (reason: string): void => { issues.push({ file, step: def.id, reason }); };
    const compile = (value: unknown, field: string, expression = false): Template | null => {
      try {
        return expression ? compileExpression(String(value), field) : compileTemplate(value, field);
      } catch (err) {
        issue(err instanceof TemplateError ? err.message : String(err));
        return null;
      }
    };
    const step: CompiledStep = { def, deps: [], arguments: null, value: null, foreach: null, when: null, llm: null };
    if (def.kind === 'tool') {
      const tool = def.tool ?? '';
      if (tool.startsWith(SKILL_TOOL_PREFIX)) issue(`tool "${tool}" is a skill; a skill cannot call skills`);
      else if (!TOOL_NAME.test(tool)) issue(`unknown tool "${tool}": tools are named <server>__<tool>`);
      else if (skill.requires.tools.length > 0 && !skill.requires.tools.includes(tool)) issue(`unknown tool "${tool}": not listed in requires`);
      step.arguments = compile(def.arguments ?? {}, 'arguments');
    } else if (def.kind === 'value') {
      step.value = compile(def.value ?? null, 'value');
    } else if (def.llm !== undefined) {
      const l = def.llm;
      if (typeof l.model === 'string' && !l.model.includes('{{') && skill.requires.models.length > 0 && !skill.requires.models.includes(l.model)) {
        issue(`model "${l.model}" is not listed in requires`);
      }
      const model = compile(l.model, 'llm.model');
      const system = l.system === undefined ? null : compile(l.system, 'llm.system');
      const prompt = l.prompt === undefined ? null : compile(l.prompt, 'llm.prompt');
      const messages = l.messages === undefined ? null : compile(l.messages, 'llm.messages');
      if (l.prompt === undefined && l.messages === undefined) issue('an llm step needs a prompt or messages');
      if (model !== null) step.llm = { model, system, prompt, messages };
    }
    if (def.foreach !== undefined) step.foreach = compile(def.foreach, 'foreach', true);
    if (def.when !== undefined) step.when = compile(def.when, 'when', true);
    const deps = new Set(def.needs);
    const body = [step.arguments, step.value, step.llm?.model, step.llm?.system, step.llm?.prompt, step.llm?.messages].filter((t): t is Template => t != null);
    for (const t of [...body, step.foreach, step.when]) {
      if (t == null) continue;
      for (const r of t.refs) deps.add(r);
    }
    if (step.foreach !== null && step.foreach.usesItem) issue('bad reference: foreach cannot read item or index (they are its own elements)');
    if (step.when !== null && step.when.usesItem) issue('bad reference: when is checked once per step and cannot read item or index');
    if (def.foreach === undefined && body.some((t) => t.usesItem)) issue('bad reference: item and index exist only in a step with foreach');
    for (const d of deps) {
      if (d === def.id) issue(`bad reference steps.${d}: a step cannot read its own result`);
      else if (!ids.has(d)) issue(`bad reference steps.${d}: no step "${d}"`);
    }
    step.deps = [...deps].filter((d) => d !== def.id && ids.has(d));
    steps.push(step);
  }
  let output: Template | null = null;
  if (wf.output !== undefined) {
    try {
      output = compileTemplate(wf.output, 'output');
      if (output.usesItem) issues.push({ file, step: null, reason: 'output: bad reference: item and index exist only in a step with foreach' });
      for (const r of output.refs) if (!ids.has(r)) issues.push({ file, step: null, reason: `output: bad reference steps.${r}: no step "${r}"` });
    } catch (err) {
      issues.push({ file, step: null, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const order = topologicalOrder(steps, (cycle) => issues.push({ file, step: cycle[0]!, reason: `dependency cycle: ${cycle.join(' -> ')}` }));
  return issues.length > 0 ? { workflow: null, issues } : { workflow: { steps, order, output }, issues };
}

/** Depth-first order of the steps; a cycle is reported once (as the path around it) and breaks the order. */
function topologicalOrder(steps: readonly CompiledStep[], onCycle: (cycle: string[]) => void): string[] {
  const byId = new Map(steps.map((s) => [s.def.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  let cycled = false;
  const visit = (id: string, path: string[]): void => {
    if (cycled) return;
    const st = state.get(id);
    if (st === 'done') return;
    if (st === 'visiting') {
      cycled = true;
      onCycle([...path.slice(path.indexOf(id)), id]);
      return;
    }
    state.set(id, 'visiting');
    for (const d of byId.get(id)?.deps ?? []) visit(d, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const s of steps) visit(s.def.id, []);
  return order;
}
