import path from 'node:path';
import { loadConfig } from '../config/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import { SKILL_READ_TOOL, SKILL_TOOL_PREFIX, loadSkills, type LoadedSkill } from '../skills/index.js';
import { adminRoute } from './admin-handler.js';

/** What the dashboard shows of one skill: what a client sees on /mcp, plus its folder and documentation. */
function skillView(s: LoadedSkill) {
  const d = s.def;
  const runnable = s.workflow !== null;
  return {
    name: d.name,
    title: d.title ?? null,
    description: d.description,
    version: d.version,
    kind: runnable ? 'workflow' : 'instructions',
    // A workflow is its own tool; an instruction-only skill is read through the one read tool.
    tool: runnable ? `${SKILL_TOOL_PREFIX}${d.name}` : SKILL_READ_TOOL,
    steps: d.workflow?.steps.map((st) => ({ id: st.id, kind: st.kind })) ?? [],
    requires: d.requires,
    input_schema: d.input,
    output_schema: d.output ?? null,
    /** The Markdown body of SKILL.md, as text: the page renders it without any HTML of its own. */
    documentation: d.body,
    path: d.dir,
  };
}

/**
 * `GET /api/skills`: the skills of the config's `skills.paths`, loaded and checked the way the
 * gateway's MCP side loads them (and `localrouter skills list` shows them), with their
 * documentation and input schema, and the folders that do not load, with why. A skill is run from
 * the dashboard through `/mcp` as a chosen client (its `tool`), as `localrouter skills run` does, so
 * the client's strategy decides whether it may.
 */
export function skillRoutes(auth: AdminAuth, configFile: string): Routes {
  const list = (): unknown => {
    const paths = (loadConfig(configFile).skills?.paths ?? []).map((p) => path.resolve(p));
    const set = loadSkills(paths);
    return { paths, skills: set.skills.map(skillView), issues: set.issues };
  };
  return { '/api/skills': { get: adminRoute(auth, '/api/skills', list) } };
}
