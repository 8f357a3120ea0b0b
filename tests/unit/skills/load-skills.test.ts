import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkToolArguments, loadSkill, loadSkills } from '../../../src/skills/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

/** A skill folder with SKILL.md (front matter + body) and, optionally, workflow.yaml. */
function skill(front: string, workflow?: string, body = 'Docs.'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-unit-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'SKILL.md'), `---\n${front}\n---\n${body}\n`);
  if (workflow !== undefined) fs.writeFileSync(path.join(dir, 'workflow.yaml'), workflow);
  return dir;
}

const HEAD = 'name: demo\ndescription: A demo.';

function issuesOf(dir: string): { file: string; step: string | null; reason: string }[] {
  const r = loadSkill(dir);
  expect(r.skill).toBeNull();
  return r.issues;
}

describe('skill loading and validation', () => {
  it('loads a runnable skill with defaults, and an instruction-only one', () => {
    const dir = skill(HEAD, 'steps:\n  - id: a\n    value: "{{ input.x }}"\n');
    const { skill: s, issues } = loadSkill(dir);
    expect(issues).toEqual([]);
    expect(s!.def).toMatchObject({ name: 'demo', version: '0.0.0', input: { type: 'object', properties: {} }, body: 'Docs.' });
    expect(s!.def.workflow!.steps[0]).toMatchObject({ id: 'a', kind: 'value', timeout_ms: 60_000, concurrency: 4, retry: { attempts: 1, delay_ms: 0 }, continue_on_error: false });
    const plain = loadSkill(skill(HEAD));
    expect(plain.skill!.workflow).toBeNull();
  });

  it('names the file, the step and the reason for a reference to a step that does not exist', () => {
    const dir = skill(HEAD, 'steps:\n  - id: a\n    value: "{{ $steps.b }}"\n');
    expect(issuesOf(dir)).toEqual([{ file: path.join(dir, 'workflow.yaml'), step: 'a', reason: 'bad reference steps.b: no step "b"' }]);
  });

  it('finds a dependency cycle and says its path', () => {
    const dir = skill(HEAD, 'steps:\n  - id: a\n    value: "{{ steps.c }}"\n  - id: b\n    value: "{{ steps.a }}"\n  - id: c\n    needs: [b]\n    value: 1\n');
    const issues = issuesOf(dir);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.reason).toMatch(/^dependency cycle: (a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b)$/);
  });

  it('refuses a tool that is not <server>__<tool>, one missing from requires, and a skill calling a skill', () => {
    const front = `${HEAD}\nrequires:\n  tools: [files__read_text_file]`;
    const dir = skill(front, [
      'steps:',
      '  - id: a', '    tool: read_text_file',
      '  - id: b', '    tool: files__write_file',
      '  - id: c', '    tool: skills__other',
      '  - id: d', '    tool: files__read_text_file', '    arguments: { path: /x }',
    ].join('\n'));
    expect(issuesOf(dir).map((i) => [i.step, i.reason])).toEqual([
      ['a', 'unknown tool "read_text_file": tools are named <server>__<tool>'],
      ['b', 'unknown tool "files__write_file": not listed in requires'],
      ['c', 'tool "skills__other" is a skill; a skill cannot call skills'],
    ]);
  });

  it('reports an expression that does not compile with the field, the expression and where it breaks', () => {
    const dir = skill(HEAD, 'steps:\n  - id: a\n    tool: x__y\n    arguments:\n      path: "{{ input.path + }}"\n');
    const [issue] = issuesOf(dir);
    expect(issue!.step).toBe('a');
    expect(issue!.reason).toMatch(/^arguments\.path: bad expression "input\.path \+": .*\(S0\d{3} at character \d+\)$/);
  });

  it('refuses item and index outside a foreach, and inside its own foreach and when expressions', () => {
    const dir = skill(HEAD, [
      'steps:',
      '  - id: a', '    value: "{{ $item }}"',
      '  - id: b', '    foreach: "{{ [1,2] }}"', '    when: "{{ $index > 0 }}"', '    value: "{{ $item * 2 }}"',
    ].join('\n'));
    expect(issuesOf(dir).map((i) => [i.step, i.reason])).toEqual([
      ['a', 'bad reference: item and index exist only in a step with foreach'],
      ['b', 'bad reference: when is checked once per step and cannot read item or index'],
    ]);
  });

  it('refuses shape errors with the step named: two kinds in one step, duplicate ids, unknown fields, bad ids', () => {
    const dir = skill(HEAD, [
      'steps:',
      '  - id: a', '    value: 1', '    tool: x__y',
      '  - id: a', '    value: 2',
    ].join('\n'));
    expect(issuesOf(dir).map((i) => [i.step, i.reason])).toEqual([
      ['a', 'a step has exactly one of tool, llm or value'],
      ['a', 'duplicate step id "a"'],
    ]);
    const unknown = skill(HEAD, 'steps:\n  - id: a\n    value: 1\n    retries: 3\n');
    expect(issuesOf(unknown)[0]).toMatchObject({ step: 'a' });
    expect(issuesOf(unknown)[0]!.reason).toContain('retries');
    const badId = skill(HEAD, 'steps:\n  - id: 1a\n    value: 1\n');
    expect(issuesOf(badId)[0]!.reason).toMatch(/^steps\.0\.id: must be a letter/);
  });

  it('refuses a missing front matter, a bad name, a non-object input schema and a workflow given twice', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-unit-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'SKILL.md'), '# no front matter\n');
    expect(issuesOf(dir)[0]!.reason).toContain('no YAML front matter');
    expect(issuesOf(skill('name: Bad Name\ndescription: x'))[0]!.reason).toMatch(/^name: must be lowercase/);
    expect(issuesOf(skill(`${HEAD}\ninput: { type: array }`))[0]!.reason).toBe('input: must be a JSON Schema with type "object"');
    const twice = skill(`${HEAD}\nworkflow:\n  steps:\n    - id: a\n      value: 1`, 'steps:\n  - id: a\n    value: 1\n');
    expect(issuesOf(twice)[0]!.reason).toContain('the workflow is given twice');
    expect(issuesOf(skill(`${HEAD}\nfoo: [`))[0]!.reason).toMatch(/^front matter is not valid YAML/);
  });

  it('loads every skill folder under a path, leaving out broken ones and a second skill of the same name', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-root-'));
    dirs.push(root);
    for (const [folder, text] of [['one', `${HEAD}`], ['two', 'name: demo\ndescription: same name'], ['three', 'name: three']] as const) {
      fs.mkdirSync(path.join(root, folder));
      fs.writeFileSync(path.join(root, folder, 'SKILL.md'), `---\n${text}\n---\n`);
    }
    const set = loadSkills([root]);
    expect(set.skills.map((s) => s.def.dir)).toEqual([path.join(root, 'one')]);
    expect(set.issues.map((i) => [path.basename(path.dirname(i.file)), i.reason])).toEqual([
      ['three', expect.stringMatching(/^description: /)],
      ['two', `skill name "demo" is taken by ${path.join(root, 'one')}; this one is left out`],
    ]);
  });

  it('checks literal tool arguments against the tool\'s input schema: missing required, unknown and mistyped arguments', () => {
    const dir = skill(HEAD, 'steps:\n  - id: a\n    tool: every__echo\n    arguments: { count: "three", extra: 1, note: "{{ input.x }}" }\n');
    const loaded = loadSkill(dir).skill!;
    const schema = { type: 'object', properties: { message: { type: 'string' }, count: { type: 'integer' }, note: { type: 'number' } }, required: ['message'], additionalProperties: false };
    expect(checkToolArguments(loaded, (t) => (t === 'every__echo' ? schema : undefined)).map((i) => [i.step, i.reason])).toEqual([
      ['a', 'arguments: "message" is required by every__echo'],
      ['a', 'arguments.count: type mismatch: every__echo wants integer, the step gives string'],
      ['a', 'arguments: every__echo takes no argument "extra"'],
    ]);
    expect(checkToolArguments(loaded, () => undefined)).toEqual([]);
  });

});
