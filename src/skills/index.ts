/**
 * @module skills
 * Skills: curated workflows exposed as single MCP tools. A skill is a folder with `SKILL.md` (YAML
 * front matter: name, description, version, input/output JSON Schemas, requires; Markdown body: its
 * documentation) and, when runnable, a declarative workflow (`workflow.yaml` or a `workflow:` block in
 * the front matter): tool steps, `llm` steps and `value` steps, with foreach, conditions, timeouts,
 * retries and an output mapping, all templated with JSONata. Without a workflow it is
 * instruction-only (the AgentSkills convention).
 *
 * Loading and checking (`loadSkills`, `loadSkill`) serve the CLI and the MCP actor; the actor keeps
 * a {@link SkillRegistry} (watched, reloaded live) and runs workflows with {@link runSkill}, whose
 * tool and model calls it makes as the calling client.
 */
export { loadSkills, loadSkill, skillFolders, SKILL_FILE, WORKFLOW_FILE, type LoadedSkill, type SkillSet } from './load-skills.js';
export { runSkill, schemaError, valueOfToolResult, type ModelAnswer, type RunOutcome, type SkillRunHost } from './run-skill.js';
export { checkToolArguments } from './check-tool-arguments.js';
export { SkillRegistry, readSkillFile, type SkillRegistryEvents } from './skill-registry.js';
export { compileTemplate, compileExpression, TemplateError, type Scope, type Template } from './template.js';
export type { Json, JsonObject, SkillDef, SkillIssue, StepDef, StepReport } from './skill-types.js';

export { SKILL_READ_TOOL, SKILL_TOOL_PREFIX } from './skill-types.js';
