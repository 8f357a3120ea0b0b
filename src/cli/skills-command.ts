import path from 'node:path';
import type { Command } from 'commander';
import { configPath, loadOrCreateConfig, updateConfig, type Config } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { loadSkills, type LoadedSkill, type SkillIssue } from '../skills/index.js';
import { gatewayOrigin } from './admin-client.js';
import { CommandExit, homeOf, printJson, printTable, readConfig, type CliIo } from './cli-io.js';

/**
 * `localrouter skills`: skill folders in the config (`skills.paths`), checked offline the way the
 * gateway loads them, and `run`, which calls a skill through the running gateway's /mcp as a client.
 */
export function registerSkillsCommand(program: Command, io: CliIo): void {
  const skills = program.command('skills').description('manage skills: multi-step workflows offered on /mcp as one tool each (skills__<name>)');

  skills.command('add').description('add a skill folder (or a folder of skill folders) to skills.paths; the running gateway loads it at once')
    .argument('<path>', 'a folder with SKILL.md, or a folder whose subfolders have one')
    .option('--json', 'print JSON')
    .action((p: string, opts: { json?: boolean }, cmd: Command) => addSkills(io, homeOf(cmd, io), p, opts.json === true));

  skills.command('list').description('list the skills of skills.paths, and those that do not load (with why)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const set = loadSkills(pathsOf(readConfig(homeOf(cmd, io))));
      const rows = set.skills.map(summary);
      if (opts.json) return printJson(io, { skills: rows, issues: set.issues });
      printTable(io, ['NAME', 'KIND', 'VERSION', 'TOOL', 'DESCRIPTION'], rows.map((r) => [
        r.name, r.kind === 'workflow' ? `workflow (${r.steps} steps)` : 'instructions', r.version, r.tool, r.description.split('\n')[0]!.slice(0, 80),
      ]), 'no skills (add a folder with "localrouter skills add <path>")');
      for (const i of set.issues) io.stderr.write(`warning: ${describeIssue(i)}\n`);
    });

  skills.command('show').description('show one skill: its schemas, steps and documentation')
    .argument('<name>', 'skill name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const skill = loadSkills(pathsOf(readConfig(homeOf(cmd, io)))).skills.find((s) => s.def.name === name);
      if (skill === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no skill named "${name}" in skills.paths (see "localrouter skills list")`);
      if (opts.json) return printJson(io, skill.def);
      showSkill(io, skill);
    });

  skills.command('validate').description('check a skill folder (or a folder of them) as the gateway would load it; exit 1 on problems')
    .argument('<path>', 'a folder with SKILL.md, or a folder whose subfolders have one')
    .option('--json', 'print JSON')
    .action((p: string, opts: { json?: boolean }) => {
      const set = loadSkills([path.resolve(p)]);
      if (opts.json) printJson(io, { valid: set.issues.length === 0, skills: set.skills.map(summary), issues: set.issues });
      else {
        for (const s of set.skills) io.stdout.write(`ok       ${s.def.name} (${s.workflow === null ? 'instructions' : `workflow, ${s.def.workflow!.steps.length} steps`})\n`);
        for (const i of set.issues) io.stdout.write(`invalid  ${describeIssue(i)}\n`);
      }
      if (set.issues.length > 0) throw new CommandExit(1);
    });

  skills.command('remove').description('remove a skill folder from skills.paths (by the path, or by the name of the skill it holds)')
    .argument('<name-or-path>', 'a configured path, or the name of a skill whose folder is one')
    .option('--json', 'print JSON')
    .action((what: string, opts: { json?: boolean }, cmd: Command) => removeSkills(io, homeOf(cmd, io), what, opts.json === true));

  skills.command('run').description('run a skill through the running gateway (as the client of --key), printing each step as it ends')
    .argument('<name>', 'skill name')
    .option('--input <json>', 'the skill\'s input, a JSON object', '{}')
    .option('--key <key>', 'client key (default: $LOCALROUTER_API_KEY)')
    .option('--url <url>', 'gateway MCP endpoint (default: the running gateway\'s /mcp)')
    .option('--json', 'print the result as JSON (steps go to stderr)')
    .action(async (name: string, opts: { input: string; key?: string; url?: string; json?: boolean }, cmd: Command) => {
      const key = opts.key ?? io.env.LOCALROUTER_API_KEY;
      if (key === undefined || key === '') throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'no client key: pass --key lr-... or set LOCALROUTER_API_KEY');
      let input: unknown;
      try {
        input = JSON.parse(opts.input);
      } catch (err) {
        throw new LocalRouterError('LR_ERR_BAD_JSON', `--input is not JSON: ${(err as Error).message}`);
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', '--input must be a JSON object');
      const home = homeOf(cmd, io);
      const url = new URL(opts.url ?? `${gatewayOrigin(readConfig(home), home, io.env)}/mcp`);
      const { runSkillThroughGateway } = await import('./skill-run.js');
      const ok = await runSkillThroughGateway(io, url, key, name, input as Record<string, unknown>, opts.json === true);
      if (!ok) throw new CommandExit(1);
    });
}

function pathsOf(config: Config): string[] {
  return config.skills?.paths ?? [];
}

function summary(s: LoadedSkill): { name: string; kind: 'workflow' | 'instructions'; version: string; tool: string; steps: number; description: string; path: string } {
  return {
    name: s.def.name, kind: s.workflow === null ? 'instructions' : 'workflow', version: s.def.version,
    tool: s.workflow === null ? 'skills__read' : `skills__${s.def.name}`, steps: s.def.workflow?.steps.length ?? 0, description: s.def.description, path: s.def.dir,
  };
}

function describeIssue(i: SkillIssue): string {
  return `${i.file}${i.step === null ? '' : ` (step ${i.step})`}: ${i.reason}`;
}

function addSkills(io: CliIo, home: string, p: string, json: boolean): void {
  const abs = path.resolve(p);
  const config = loadOrCreateConfig(home);
  const existing = pathsOf(config);
  if (existing.some((e) => path.resolve(e) === abs)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${abs} is already in skills.paths`);
  const set = loadSkills([abs]);
  if (set.skills.length === 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `no skill in ${abs} loads:\n${set.issues.map((i) => `  ${describeIssue(i)}`).join('\n')}`);
  }
  const taken = new Map(loadSkills(existing).skills.map((s) => [s.def.name, s.def.dir]));
  for (const s of set.skills) {
    const other = taken.get(s.def.name);
    if (other !== undefined) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a skill named "${s.def.name}" is already loaded from ${other}`);
  }
  updateConfig(configPath(home), (cfg) => {
    const paths = cfg.skills?.paths ?? [];
    if (!paths.some((e) => path.resolve(e) === abs)) cfg.skills = { ...cfg.skills, paths: [...paths, abs] };
  });
  if (json) return printJson(io, { path: abs, skills: set.skills.map(summary), issues: set.issues });
  for (const s of set.skills) io.stdout.write(`added skill "${s.def.name}": ${s.workflow === null ? 'read with skills__read' : `tool skills__${s.def.name}`} on /mcp\n`);
  for (const i of set.issues) io.stderr.write(`warning: left out: ${describeIssue(i)}\n`);
}

function removeSkills(io: CliIo, home: string, what: string, json: boolean): void {
  const paths = pathsOf(loadOrCreateConfig(home));
  const abs = path.resolve(what);
  let target = paths.find((e) => path.resolve(e) === abs);
  if (target === undefined) {
    const skill = loadSkills(paths).skills.find((s) => s.def.name === what);
    if (skill === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `"${what}" is neither a path in skills.paths nor a skill loaded from one`);
    target = paths.find((e) => path.resolve(e) === skill.def.dir);
    if (target === undefined) {
      const parent = paths.find((e) => skill.def.dir.startsWith(path.resolve(e) + path.sep)) ?? path.dirname(skill.def.dir);
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', `skill "${what}" comes from ${parent}, which may hold other skills; remove that folder with "localrouter skills remove ${parent}"`);
    }
  }
  const removed = target;
  updateConfig(configPath(home), (cfg) => {
    const rest = (cfg.skills?.paths ?? []).filter((e) => path.resolve(e) !== path.resolve(removed));
    cfg.skills = { ...cfg.skills, paths: rest };
  });
  if (json) return printJson(io, { removed: path.resolve(removed) });
  io.stdout.write(`removed ${path.resolve(removed)} from skills.paths\n`);
}

function showSkill(io: CliIo, s: LoadedSkill): void {
  const d = s.def;
  const lines = [
    `name:        ${d.name}${d.title !== undefined ? ` (${d.title})` : ''}`,
    `version:     ${d.version}`,
    `tool:        ${s.workflow === null ? 'skills__read (instruction-only)' : `skills__${d.name}`}`,
    `folder:      ${d.dir}`,
    `description: ${d.description}`,
    `requires:    ${[...d.requires.tools, ...d.requires.models].join(', ') || '-'}`,
    `input:       ${JSON.stringify(d.input)}`,
  ];
  if (d.output !== undefined) lines.push(`output:      ${JSON.stringify(d.output)}`);
  if (d.workflow !== null) {
    lines.push('steps:');
    for (const st of d.workflow.steps) {
      const what = st.kind === 'tool' ? st.tool : st.kind === 'llm' ? `llm ${typeof st.llm?.model === 'string' ? st.llm.model : ''}`.trim() : 'value';
      const extra = [st.foreach !== undefined ? 'foreach' : '', st.when !== undefined ? 'when' : '', st.continue_on_error ? 'continue_on_error' : ''].filter(Boolean).join(', ');
      lines.push(`  ${st.id}: ${what}${extra ? ` (${extra})` : ''}`);
    }
  }
  if (d.body.length > 0) lines.push('', d.body);
  io.stdout.write(`${lines.join('\n')}\n`);
}
