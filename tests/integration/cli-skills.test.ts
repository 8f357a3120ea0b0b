import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, type CliResult } from '../helpers/cli-run.js';

const EXAMPLES = path.resolve('examples/skills');
const FIXTURES = path.resolve('tests/integration/fixtures/skills');

function run(home: string, args: string[]): Promise<CliResult> {
  return runCli(['--home', home, ...args]);
}

describe('localrouter skills add / list / show / validate / remove', () => {
  it('validates a folder of skills: ok ones on stdout, each problem with its file, step and reason, exit 1', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skillcli-'));
    try {
      const good = await run(home, ['skills', 'validate', EXAMPLES]);
      expect(good.code, good.stderr).toBe(0);
      expect(good.stdout).toContain('ok       folder-digest (workflow, 4 steps)');
      expect(good.stdout).toContain('ok       release-notes (instructions)');
      const bad = await run(home, ['skills', 'validate', FIXTURES, '--json']);
      expect(bad.code).toBe(1);
      const report = JSON.parse(bad.stdout) as { valid: boolean; issues: { file: string; step: string; reason: string }[] };
      expect(report.valid).toBe(false);
      expect(report.issues).toEqual([{ file: path.join(FIXTURES, 'broken-ref', 'SKILL.md'), step: 'one', reason: 'bad reference steps.nowhere: no step "nowhere"' }]);
      const missing = await run(home, ['skills', 'validate', path.join(home, 'nope')]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain('no such file or folder');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('adds a folder to skills.paths, lists and shows its skills, refuses a second copy, and removes it by path', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skillcli-'));
    try {
      const add = await run(home, ['skills', 'add', EXAMPLES]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout).toContain('added skill "folder-digest": tool skills__folder-digest on /mcp');
      const cfg = parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')) as { skills: { paths: string[] } };
      expect(cfg.skills.paths).toEqual([EXAMPLES]);
      const again = await run(home, ['skills', 'add', path.join(EXAMPLES, 'model-panel')]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('a skill named "model-panel" is already loaded from');

      const list = await run(home, ['skills', 'list', '--json']);
      const listed = JSON.parse(list.stdout) as { skills: { name: string; kind: string; tool: string }[] };
      expect(listed.skills.map((s) => [s.name, s.kind, s.tool])).toEqual([
        ['folder-digest', 'workflow', 'skills__folder-digest'], ['model-panel', 'workflow', 'skills__model-panel'], ['release-notes', 'instructions', 'skills__read'],
      ]);
      const show = await run(home, ['skills', 'show', 'folder-digest']);
      expect(show.stdout).toContain('read: files__read_text_file (foreach)');
      expect((await run(home, ['skills', 'show', 'nope'])).stderr).toContain('no skill named "nope"');

      const byName = await run(home, ['skills', 'remove', 'model-panel']);
      expect(byName.code).toBe(1);
      expect(byName.stderr).toContain(`remove that folder with "localrouter skills remove ${EXAMPLES}"`);
      const removed = await run(home, ['skills', 'remove', EXAMPLES]);
      expect(removed.code, removed.stderr).toBe(0);
      expect((parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')) as { skills: { paths: string[] } }).skills.paths).toEqual([]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a folder where no skill loads, and a run without a client key', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skillcli-'));
    try {
      const add = await run(home, ['skills', 'add', path.join(FIXTURES, 'broken-ref')]);
      expect(add.code).toBe(1);
      expect(add.stderr).toContain('bad reference steps.nowhere');
      const runNoKey = await run(home, ['skills', 'run', 'folder-digest']);
      expect(runNoKey.code).toBe(1);
      expect(runNoKey.stderr).toContain('no client key');
      const badInput = await runCli(['--home', home, 'skills', 'run', 'folder-digest', '--input', '{nope', '--key', 'lr-x']);
      expect(badInput.code).toBe(1);
      expect(badInput.stderr).toContain('--input is not JSON');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('localrouter strategies update --skills / --deny-skills', () => {
  it('writes which skills a strategy\'s clients may run, shows them, and --clear-skills lets every skill in again', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-strat-'));
    try {
      expect((await run(home, ['strategies', 'create', 'careful'])).code).toBe(0);
      const set = await run(home, ['strategies', 'update', 'careful', '--skills', 'folder-*,release-notes', '--deny-skills', 'folder-digest', '--json']);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ skills: ['folder-*', 'release-notes'], deny_skills: ['folder-digest'] });
      const mcp = (parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')) as { strategies: { name: string; mcp?: Record<string, unknown> }[] })
        .strategies.find((s) => s.name === 'careful')!.mcp!;
      expect(mcp).toMatchObject({ skills: ['folder-*', 'release-notes'], deny_skills: ['folder-digest'] });
      expect((await run(home, ['strategies', 'show', 'careful'])).stdout).toMatch(/^deny skills: folder-digest$/m);
      const cleared = await run(home, ['strategies', 'update', 'careful', '--clear-skills', '--json']);
      expect(JSON.parse(cleared.stdout)).not.toHaveProperty('skills');
      expect(JSON.parse(cleared.stdout)).not.toHaveProperty('deny_skills');
      const both = await run(home, ['strategies', 'update', 'careful', '--clear-skills', '--skills', 'x']);
      expect(both.code).not.toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
