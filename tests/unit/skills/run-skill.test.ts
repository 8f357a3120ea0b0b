import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTemplate, loadSkill, runSkill, TemplateError, type JsonObject, type LoadedSkill, type ModelAnswer, type SkillRunHost, type StepReport } from '../../../src/skills/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

function workflowSkill(workflow: string, front = ''): LoadedSkill {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-run-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'SKILL.md'), `---\nname: t\ndescription: test\n${front}\n---\n`);
  fs.writeFileSync(path.join(dir, 'workflow.yaml'), workflow);
  const r = loadSkill(dir);
  if (r.skill === null) throw new Error(JSON.stringify(r.issues));
  return r.skill;
}

/** A host whose tools answer from `tools` (structured content), recording the calls and what ran at once. */
function host(tools: Record<string, (args: JsonObject, signal: AbortSignal) => Promise<Record<string, unknown>>>, model?: (body: JsonObject) => Promise<ModelAnswer>) {
  const calls: [string, JsonObject][] = [];
  const reports: StepReport[] = [];
  let running = 0;
  let peak = 0;
  const h: SkillRunHost = {
    async callTool(name, args, signal) {
      calls.push([name, args]);
      running++;
      peak = Math.max(peak, running);
      try {
        const tool = tools[name];
        if (tool === undefined) throw new Error(`Unknown tool: ${name}`);
        return await tool(args, signal);
      } finally {
        running--;
      }
    },
    callModel: (body) => (model ?? (() => Promise.reject(new Error('no model'))))(body),
    stepDone: (r) => reports.push(r),
  };
  return { h, calls, reports, peak: () => peak };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')); }, { once: true });
});
const never = new AbortController().signal;

describe('the workflow runner', () => {
  it('runs foreach elements at most `concurrency` at a time, in order, with item and index', async () => {
    const s = workflowSkill('steps:\n  - id: each\n    foreach: "{{ input.list }}"\n    concurrency: 2\n    tool: x__echo\n    arguments: { v: "{{ $item & \'-\' & $index }}" }\n');
    const t = host({ x__echo: async (a) => { await sleep(20); return { structuredContent: { got: a.v } }; } });
    const out = await runSkill(s, { list: ['a', 'b', 'c', 'd', 'e'] }, t.h, never);
    expect(out.status).toBe('ok');
    expect(out.output).toEqual({ each: [{ got: 'a-0' }, { got: 'b-1' }, { got: 'c-2' }, { got: 'd-3' }, { got: 'e-4' }] });
    expect(t.peak()).toBe(2);
  });

  it('runs independent steps together, a dependent one after them; skips a step whose condition is false', async () => {
    const s = workflowSkill([
      'steps:',
      '  - id: a', '    tool: x__slow',
      '  - id: b', '    tool: x__slow',
      '  - id: c', '    value: "{{ steps.a.n + steps.b.n }}"',
      '  - id: d', '    when: "{{ steps.c > 100 }}"', '    tool: x__slow',
      'output: { sum: "{{ steps.c }}", skipped: "{{ steps.d }}" }',
    ].join('\n'));
    const t = host({ x__slow: async () => { await sleep(30); return { structuredContent: { n: 2 } }; } });
    const out = await runSkill(s, {}, t.h, never);
    expect(out.output).toEqual({ sum: 4, skipped: null });
    expect(t.peak()).toBe(2);
    expect(t.reports.map((r) => [r.id, r.status])).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok'], ['d', 'skipped']]);
  });

  it('retries a failing step as it says, and reports the last error when every try fails', async () => {
    let n = 0;
    const flaky = workflowSkill('steps:\n  - id: a\n    tool: x__flaky\n    retry: { attempts: 3 }\n');
    const t = host({ x__flaky: async () => (++n < 3 ? { isError: true, content: [{ type: 'text', text: `try ${n} failed` }] } : { content: [{ type: 'text', text: 'ok' }] }) });
    expect((await runSkill(flaky, {}, t.h, never)).output).toEqual({ a: 'ok' });
    n = -10;
    const out = await runSkill(flaky, {}, t.h, never);
    expect(out.status).toBe('error');
    expect(out.error).toEqual({ step: 'a', message: 'the tool reported an error: try -7 failed' });
  });

  it('stops at the first failing step: later steps never start, and finished ones are the partial result', async () => {
    const s = workflowSkill('steps:\n  - id: a\n    value: 1\n  - id: b\n    needs: [a]\n    tool: x__missing\n  - id: c\n    needs: [b]\n    value: 3\n');
    const out = await runSkill(s, {}, host({}).h, never);
    expect(out.status).toBe('error');
    expect(out.error).toEqual({ step: 'b', message: 'Unknown tool: x__missing' });
    expect(out.values).toEqual({ a: 1 });
    expect(out.steps.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('with continue_on_error, a failed foreach element is null and the run goes on', async () => {
    const s = workflowSkill('steps:\n  - id: each\n    foreach: "{{ [1, 2, 3] }}"\n    tool: x__odd\n    arguments: { n: "{{ $item }}" }\n    continue_on_error: true\n');
    const t = host({ x__odd: async (a) => (Number(a.n) % 2 === 0 ? { isError: true, content: [{ type: 'text', text: 'even' }] } : { structuredContent: { n: a.n } }) });
    const out = await runSkill(s, {}, t.h, never);
    expect(out.status).toBe('ok');
    expect(out.output).toEqual({ each: [{ n: 1 }, null, { n: 3 }] });
    expect(out.steps[0]!.error).toBe('1 of 3 elements failed; element 1: the tool reported an error: even');
  });

  it('times out a step that takes too long, and stops the run when the signal aborts', async () => {
    const s = workflowSkill('steps:\n  - id: a\n    tool: x__hang\n    timeout_ms: 50\n');
    const t = host({ x__hang: async (_a, signal) => { await sleep(10_000, signal); return {}; } });
    const out = await runSkill(s, {}, t.h, never);
    expect(out.error).toEqual({ step: 'a', message: 'timed out after 50 ms' });
    const long = workflowSkill('steps:\n  - id: a\n    tool: x__hang\n  - id: b\n    needs: [a]\n    tool: x__hang\n');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const cancelled = await runSkill(long, {}, t.h, abort.signal);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps.map((r) => [r.id, r.status])).toEqual([['a', 'cancelled']]);
  });

  it('checks the input and the output against the skill\'s schemas', async () => {
    const s = workflowSkill('steps:\n  - id: a\n    value: "{{ input.n * 2 }}"\noutput: { doubled: "{{ steps.a }}" }\n',
      'input:\n  type: object\n  properties: { n: { type: number } }\n  required: [n]\noutput:\n  type: object\n  properties: { doubled: { type: string } }');
    const bad = await runSkill(s, {}, host({}).h, never);
    expect(bad.error!.message).toMatch(/^invalid input: .*must have required property 'n'/);
    const wrong = await runSkill(s, { n: 2 }, host({}).h, never);
    expect(wrong.error!.message).toMatch(/^the output does not match the skill's output schema: .*doubled must be string/);
  });

  it('builds the llm body from system, messages and prompt; parses and checks a JSON answer against output_schema', async () => {
    const s = workflowSkill([
      'steps:', '  - id: ask', '    llm:', '      model: "{{ input.model }}"', '      system: "be brief"',
      '      prompt: "Rate {{ input.thing }}"', '      output_schema: { type: object, properties: { score: { type: number } }, required: [score] }',
    ].join('\n'));
    const seen: JsonObject[] = [];
    const answer = (text: string) => async (body: JsonObject): Promise<ModelAnswer> => { seen.push(body); return { text, model: 'p/m', inputTokens: 3, outputTokens: 4, costUsd: 0.5 }; };
    const ok = await runSkill(s, { model: 'p/m', thing: 'tea' }, host({}, answer('```json\n{"score": 9}\n```')).h, never);
    expect(ok.output).toEqual({ ask: { score: 9 } });
    expect(seen[0]).toMatchObject({ model: 'p/m', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'Rate tea' }], response_format: { type: 'json_schema' } });
    expect(ok.steps[0]).toMatchObject({ target: 'p/m', inputTokens: 3, outputTokens: 4, costUsd: 0.5 });
    const prose = await runSkill(s, { model: 'p/m', thing: 'tea' }, host({}, answer('nine out of ten')).h, never);
    expect(prose.error).toEqual({ step: 'ask', message: 'the model\'s answer is not JSON (output_schema asks for JSON): nine out of ten' });
    const shape = await runSkill(s, { model: 'p/m', thing: 'tea' }, host({}, answer('{"score":"high"}')).h, never);
    expect(shape.error!.message).toMatch(/^the model's answer does not match output_schema: .*score must be number/);
  });
});

describe('templates', () => {
  const scope = { input: { n: 2, name: 'x', list: [1, 2] }, steps: { a: { v: 'A' } } };

  it('keeps the type of a whole-string expression, interpolates a mixed string, and walks objects and arrays', async () => {
    expect(await compileTemplate('{{ input.n * 2 }}', 'f').evaluate(scope)).toBe(4);
    expect(await compileTemplate('{{ input.list }}', 'f').evaluate(scope)).toEqual([1, 2]);
    expect(await compileTemplate('n={{ input.n }}, a={{ steps.a }}', 'f').evaluate(scope)).toBe('n=2, a={"v":"A"}');
    expect(await compileTemplate({ a: ['{{ $steps.a.v }}', 3], b: 'plain' }, 'f').evaluate(scope)).toEqual({ a: ['A', 3], b: 'plain' });
    expect(await compileTemplate('{{ {"k": input.name} }}', 'f').evaluate(scope)).toEqual({ k: 'x' });
  });

  it('collects the steps an expression reads', () => {
    expect([...compileTemplate({ a: '{{ steps.one.x }}', b: 'and {{ $steps.two }}' }, 'f').refs]).toEqual(['one', 'two']);
  });

  it('names the field and the expression in compile and run errors', async () => {
    expect(() => compileTemplate({ deep: '{{ ) }}' }, 'arguments')).toThrow(TemplateError);
    expect(() => compileTemplate({ deep: '{{ ) }}' }, 'arguments')).toThrow(/^arguments\.deep: bad expression "\)": /);
    expect(() => compileTemplate('{{   }}', 'value')).toThrow('value: empty expression {{ }}');
    await expect(compileTemplate('{{ $nope(1) }}', 'value').evaluate(scope)).rejects.toThrow(/^value: expression "\$nope\(1\)" failed: Attempted to invoke a non-function \(T1006/);
  });
});
