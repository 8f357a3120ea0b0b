/** Tools of skills are named `skills__<name>`; `skills__read` reads instruction-only skills. */
export const SKILL_TOOL_PREFIX = 'skills__';
export const SKILL_READ_TOOL = 'skills__read';

/** A JSON value as skills read and write it (tool arguments, step values, outputs). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One problem found while loading a skill: which file, which step (if any), and why. */
export interface SkillIssue {
  file: string;
  step: string | null;
  reason: string;
}

/** The `llm` part of a step: a chat completion through the gateway's routing, as the calling client. */
export interface LlmStepDef {
  /** A template; default `localrouter/auto`. */
  model: unknown;
  system?: unknown;
  prompt?: unknown;
  /** A template giving OpenAI chat messages; used instead of (or before) `prompt`. */
  messages?: unknown;
  max_tokens?: number;
  temperature?: number;
  /** A JSON Schema: the answer is asked for as JSON of this shape, parsed and checked. */
  output_schema?: JsonObject;
}

/** One workflow step as written (templates not compiled yet). */
export interface StepDef {
  id: string;
  kind: 'tool' | 'llm' | 'value';
  description?: string;
  /** `tool` steps: the tool's exposed name (`<server>__<tool>`). */
  tool?: string;
  /** `tool` steps: arguments (a template object, or one whole-string expression). */
  arguments?: unknown;
  llm?: LlmStepDef;
  /** `value` steps: a template computing the value. */
  value?: unknown;
  /** An expression: the step runs once per element of the list it gives (`item`, `index`). */
  foreach?: string;
  concurrency: number;
  /** An expression: the step is skipped (value null) unless it is truthy. */
  when?: string;
  /** Steps that must finish first, besides those its expressions refer to. */
  needs: string[];
  timeout_ms: number;
  retry: { attempts: number; delay_ms: number };
  /** A failure leaves the step's value null and the run goes on (a partial result). */
  continue_on_error: boolean;
}

/** A loaded skill: its `SKILL.md` front matter and body, and its workflow when it is runnable. */
export interface SkillDef {
  name: string;
  description: string;
  version: string;
  title?: string;
  /** The folder it was loaded from (absolute). */
  dir: string;
  /** The Markdown body of SKILL.md (documentation shown to clients). */
  body: string;
  input: JsonObject;
  output?: JsonObject;
  annotations?: JsonObject;
  /** `<server>__<tool>`s and models the skill says it uses. */
  requires: { tools: string[]; models: string[] };
  /** Null for an instruction-only skill. */
  workflow: { steps: StepDef[]; output?: unknown; file: string } | null;
}

/** What one step did, for the run's progress, result and request log row. */
export interface StepReport {
  id: string;
  kind: StepDef['kind'];
  status: 'ok' | 'error' | 'skipped' | 'cancelled';
  durationMs: number;
  /** The tool or model called (the model that answered, for `llm` steps). */
  target: string | null;
  /** Items run (foreach), else 1 (0 when skipped). */
  items: number;
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}
