import { createRequire } from 'node:module';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import type { CompiledStep } from './compile-workflow.js';
import type { LoadedSkill } from './load-skills.js';
import type { Json, JsonObject, StepReport } from './skill-types.js';
import type { Scope } from './template.js';

/** A model's answer to an `llm` step, with what it cost the calling client. */
export interface ModelAnswer {
  text: string;
  /** The model that answered (`provider/model`), when known. */
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** What a run needs from the gateway: calls made as the calling client, and a place for progress. */
export interface SkillRunHost {
  /** A tool call as the client's own would be: same view, access rules and routing; rejects when the tool is unknown or denied. */
  callTool(name: string, args: JsonObject, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** One chat completion (OpenAI body) through the gateway's routing, charged to the client. */
  callModel(body: JsonObject, signal: AbortSignal): Promise<ModelAnswer>;
  /** A step ended (ok, failed, skipped or cancelled): `done` of `total` steps have. */
  stepDone(report: StepReport, done: number, total: number): void;
}

/** How a run ended. */
export interface RunOutcome {
  status: 'ok' | 'error' | 'cancelled';
  /** The skill's output (ok), else null. */
  output: Json;
  /** The step that failed (null: the run itself, e.g. its input or output) and why. */
  error: { step: string | null; message: string } | null;
  steps: StepReport[];
  /** Values of the steps that finished (the partial result of a failed run). */
  values: Record<string, Json>;
}

/** Most elements one foreach runs. */
const MAX_FOREACH_ITEMS = 1000;
/**
 * The JSON Schema validator (Ajv), required on the first check rather than imported: Ajv's source
 * and its instance would otherwise be built at every start of the gateway and the CLI.
 */
let validatorsMade: AjvJsonSchemaValidator | null = null;

function validators(): AjvJsonSchemaValidator {
  if (validatorsMade === null) {
    const sdk = createRequire(import.meta.url)('@modelcontextprotocol/sdk/validation/ajv') as { AjvJsonSchemaValidator: typeof AjvJsonSchemaValidator };
    validatorsMade = new sdk.AjvJsonSchemaValidator();
  }
  return validatorsMade;
}
const compiledSchemas = new WeakMap<object, (v: unknown) => string | null>();

/** A step failure with the message the client sees. */
class StepFailure extends Error {}

/**
 * Runs a skill's workflow: each step as soon as the steps it depends on have finished (independent
 * steps at once), a foreach's elements at most `concurrency` at a time, each try bounded by the
 * step's timeout and retried as it says. The first failure of a step without `continue_on_error`
 * stops the run (running steps are aborted); `signal` (the client cancelled) stops it too.
 */
export async function runSkill(skill: LoadedSkill, input: unknown, host: SkillRunHost, signal: AbortSignal): Promise<RunOutcome> {
  const wf = skill.workflow;
  const values: Record<string, Json> = {};
  const reports: StepReport[] = [];
  if (wf === null) return { status: 'error', output: null, error: { step: null, message: `skill "${skill.def.name}" has no workflow (it is instruction-only: read it with skills__read)` }, steps: reports, values };
  const inputError = schemaError(skill.def.input, input ?? {});
  if (inputError !== null) return { status: 'error', output: null, error: { step: null, message: `invalid input: ${inputError}` }, steps: reports, values };
  const scope: Scope = { input: (input ?? {}) as Json, steps: values };
  const stop = new AbortController();
  const onCancel = (): void => stop.abort(new StepFailure('cancelled by the client'));
  signal.addEventListener('abort', onCancel, { once: true });
  if (signal.aborted) onCancel();
  const total = wf.steps.length;
  const byId = new Map(wf.steps.map((s) => [s.def.id, s]));
  const finished = new Set<string>();
  const running = new Map<string, Promise<void>>();
  // Set from the steps' callbacks (an object, so the checks below read its current value).
  const run: { failure: { step: string; message: string } | null } = { failure: null };
  try {
    while (finished.size < total && run.failure === null && !stop.signal.aborted) {
      for (const id of wf.order) {
        if (finished.has(id) || running.has(id)) continue;
        const step = byId.get(id)!;
        if (!step.deps.every((d) => finished.has(d))) continue;
        running.set(id, runStep(step, scope, host, stop.signal).then((report) => {
          running.delete(id);
          finished.add(id);
          reports.push(report.report);
          if (report.report.status === 'ok' || report.report.status === 'skipped' || step.def.continue_on_error) values[id] = report.value;
          if (report.report.status === 'error' && !step.def.continue_on_error && run.failure === null) {
            run.failure = { step: id, message: report.report.error ?? 'failed' };
            stop.abort(new StepFailure(`stopped: step ${id} failed`));
          }
          host.stepDone(report.report, finished.size, total);
        }));
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    // Steps still running after a failure or a cancel end on the aborted signal; their reports say so.
    await Promise.all(running.values());
  } finally {
    signal.removeEventListener('abort', onCancel);
  }
  if (signal.aborted) return { status: 'cancelled', output: null, error: { step: null, message: 'cancelled by the client' }, steps: reports, values };
  if (run.failure !== null) return { status: 'error', output: null, error: run.failure, steps: reports, values };
  try {
    const output = wf.output === null ? values : await wf.output.evaluate(scope);
    if (skill.def.output !== undefined) {
      const bad = schemaError(skill.def.output, output);
      if (bad !== null) return { status: 'error', output: null, error: { step: null, message: `the output does not match the skill's output schema: ${bad}` }, steps: reports, values };
    }
    return { status: 'ok', output: output ?? null, error: null, steps: reports, values };
  } catch (err) {
    return { status: 'error', output: null, error: { step: null, message: messageOf(err) }, steps: reports, values };
  }
}

async function runStep(step: CompiledStep, scope: Scope, host: SkillRunHost, signal: AbortSignal): Promise<{ report: StepReport; value: Json }> {
  const def = step.def;
  const start = performance.now();
  const report: StepReport = {
    id: def.id, kind: def.kind, status: 'ok', durationMs: 0, target: def.kind === 'tool' ? def.tool ?? null : null, items: 1, error: null,
    inputTokens: 0, outputTokens: 0, costUsd: 0,
  };
  const end = (value: Json): { report: StepReport; value: Json } => {
    report.durationMs = performance.now() - start;
    return { report, value };
  };
  try {
    if (step.when !== null && !truthy(await step.when.evaluate(scope))) {
      report.status = 'skipped';
      report.items = 0;
      return end(null);
    }
    if (step.foreach === null) return end(await attempt(step, scope, host, signal, report));
    const list = await step.foreach.evaluate(scope);
    const items = list === null || list === undefined ? [] : Array.isArray(list) ? list : null;
    if (items === null) throw new StepFailure(`foreach gave ${describeType(list)}, not a list`);
    if (items.length > MAX_FOREACH_ITEMS) throw new StepFailure(`foreach gave ${items.length} elements; at most ${MAX_FOREACH_ITEMS} are run`);
    report.items = items.length;
    const out: Json[] = new Array<Json>(items.length).fill(null);
    const failed: string[] = [];
    let next = 0;
    // An element that fails the step stops the other workers from starting more.
    let halted = false;
    const worker = async (): Promise<void> => {
      while (next < items.length && !signal.aborted && !halted) {
        const i = next++;
        try {
          out[i] = await attempt(step, { ...scope, item: items[i] as Json, index: i }, host, signal, report);
        } catch (err) {
          // With continue_on_error a failed element is null and the others go on.
          if (!def.continue_on_error || signal.aborted) {
            halted = true;
            throw err;
          }
          failed.push(`element ${i}: ${messageOf(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(def.concurrency, items.length) }, worker));
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new StepFailure('stopped');
    if (failed.length > 0) {
      report.error = `${failed.length} of ${items.length} elements failed; ${failed[0]}`;
      if (failed.length === items.length) report.status = 'error';
    }
    return end(out);
  } catch (err) {
    report.status = signal.aborted ? 'cancelled' : 'error';
    report.error = messageOf(err);
    return end(null);
  }
}

/** One element of a step (or the whole step), tried up to `retry.attempts` times, each try bounded by `timeout_ms`. */
async function attempt(step: CompiledStep, scope: Scope, host: SkillRunHost, runSignal: AbortSignal, report: StepReport): Promise<Json> {
  const { attempts, delay_ms: delay } = step.def.retry;
  for (let tryNo = 1; ; tryNo++) {
    if (runSignal.aborted) throw runSignal.reason instanceof Error ? runSignal.reason : new StepFailure('stopped');
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new StepFailure(`timed out after ${step.def.timeout_ms} ms`)), step.def.timeout_ms);
    const signal = AbortSignal.any([runSignal, timeout.signal]);
    try {
      return await untilAborted(once(step, scope, host, signal, report), signal);
    } catch (err) {
      if (runSignal.aborted || tryNo >= attempts) throw err;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    } finally {
      clearTimeout(timer);
    }
  }
}

async function once(step: CompiledStep, scope: Scope, host: SkillRunHost, signal: AbortSignal, report: StepReport): Promise<Json> {
  const def = step.def;
  if (def.kind === 'value') return step.value!.evaluate(scope);
  if (def.kind === 'tool') {
    const args = await step.arguments!.evaluate(scope);
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new StepFailure(`arguments gave ${describeType(args)}, not an object`);
    const result = await host.callTool(def.tool!, args, signal);
    if (result.isError === true) throw new StepFailure(`the tool reported an error: ${textOf(result.content) || 'no message'}`);
    return valueOfToolResult(result);
  }
  const body = await modelBody(step, scope);
  const answer = await host.callModel(body, signal);
  report.inputTokens += answer.inputTokens;
  report.outputTokens += answer.outputTokens;
  report.costUsd += answer.costUsd;
  if (answer.model !== null) report.target = answer.model;
  const schema = def.llm!.output_schema;
  if (schema === undefined) return answer.text;
  let parsed: Json;
  try {
    parsed = JSON.parse(stripFence(answer.text)) as Json;
  } catch {
    throw new StepFailure(`the model's answer is not JSON (output_schema asks for JSON): ${clip(answer.text)}`);
  }
  const bad = schemaError(schema, parsed);
  if (bad !== null) throw new StepFailure(`the model's answer does not match output_schema: ${bad}`);
  return parsed;
}

/** The OpenAI chat body of an `llm` step. */
async function modelBody(step: CompiledStep, scope: Scope): Promise<JsonObject> {
  const l = step.llm!;
  const def = step.def.llm!;
  const model = await l.model.evaluate(scope);
  if (typeof model !== 'string' || model.length === 0) throw new StepFailure(`llm.model gave ${describeType(model)}, not a model id`);
  const messages: Json[] = [];
  if (l.system !== null) messages.push({ role: 'system', content: asText(await l.system.evaluate(scope)) });
  if (l.messages !== null) {
    const given = await l.messages.evaluate(scope);
    if (!Array.isArray(given)) throw new StepFailure(`llm.messages gave ${describeType(given)}, not a list of messages`);
    for (const m of given) {
      if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof m.role !== 'string') throw new StepFailure('llm.messages: each message is an object with a role and content');
      messages.push(m);
    }
  }
  if (l.prompt !== null) messages.push({ role: 'user', content: asText(await l.prompt.evaluate(scope)) });
  const body: JsonObject = { model, messages };
  if (def.max_tokens !== undefined) body.max_tokens = def.max_tokens;
  if (def.temperature !== undefined) body.temperature = def.temperature;
  if (def.output_schema !== undefined) body.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: def.output_schema } };
  return body;
}

/** A tool result as a step value: its structured content, else its text, else its content blocks. */
export function valueOfToolResult(result: Record<string, unknown>): Json {
  if (typeof result.structuredContent === 'object' && result.structuredContent !== null) return result.structuredContent as Json;
  const content = Array.isArray(result.content) ? result.content as Record<string, unknown>[] : [];
  if (content.every((c) => c.type === 'text')) return content.map((c) => String(c.text ?? '')).join('\n');
  return content as Json;
}

/** Why `value` does not match the JSON Schema (null: it does). */
export function schemaError(schema: object, value: unknown): string | null {
  let check = compiledSchemas.get(schema);
  if (check === undefined) {
    try {
      const v = validators().getValidator(schema as JsonSchemaType);
      check = (x) => { const r = v(x); return r.valid ? null : r.errorMessage ?? 'does not match'; };
    } catch (err) {
      const message = `the schema itself is invalid: ${messageOf(err)}`;
      check = () => message;
    }
    compiledSchemas.set(schema, check);
  }
  return check(value);
}

/** Settles with `work`, or rejects as soon as `signal` aborts (a call that ignores its signal cannot hold the run). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new StepFailure('stopped'));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new StepFailure('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return clip((content as Record<string, unknown>[]).filter((c) => c.type === 'text').map((c) => String(c.text ?? '')).join('\n'));
}

function truthy(v: Json): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
}

function asText(v: Json): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return m === null ? text : m[1]!;
}

function describeType(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v} (${clip(JSON.stringify(v))})`;
}

function messageOf(err: unknown): string {
  return clip(err instanceof Error ? err.message : String(err), 1000);
}

function clip(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
