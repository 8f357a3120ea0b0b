import type { ToolChoice, ToolDefinition } from '../../model/index.js';
import { badParam, isRecord, isUnset, unsupportedParam } from './request-errors.js';

/** A Responses function tool as echoed in the response object. */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean;
}

/**
 * Responses function tools are flat (`{type, name, parameters}`); chat nests them under `function`.
 * Built-in tools (web_search, file_search, computer use, code interpreter, MCP, custom...) run on
 * OpenAI's side and have no chat equivalent: they are rejected. `strict` is passed as given; when it
 * is omitted the tool stays non-strict, as in chat (OpenAI's Responses API would rewrite the schema
 * into strict form, which a gateway in front of other providers cannot promise).
 */
export function toChatTools(tools: unknown): { chat: ToolDefinition[]; echo: ResponsesFunctionTool[] } {
  if (!Array.isArray(tools)) throw badParam('"tools" must be an array', 'tools');
  const chat: ToolDefinition[] = [];
  const echo: ResponsesFunctionTool[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t: unknown = tools[i];
    const at = `tools[${i}]`;
    if (!isRecord(t)) throw badParam(`${at} must be an object`, at);
    if (t.type !== 'function') {
      throw unsupportedParam(`${at}: built-in tool ${JSON.stringify(t.type)} is not supported by LocalRouter; only function tools are`, `${at}.type`);
    }
    if (typeof t.name !== 'string' || t.name.length === 0) throw badParam(`${at}.name must be a non-empty string`, `${at}.name`);
    if (!isUnset(t.description) && typeof t.description !== 'string') throw badParam(`${at}.description must be a string`, `${at}.description`);
    if (!isUnset(t.parameters) && !isRecord(t.parameters)) throw badParam(`${at}.parameters must be a JSON schema object`, `${at}.parameters`);
    if (!isUnset(t.strict) && typeof t.strict !== 'boolean') throw badParam(`${at}.strict must be a boolean`, `${at}.strict`);
    for (const key of ['defer_loading', 'allowed_callers', 'output_schema'] as const) {
      if (!isUnset(t[key]) && t[key] !== false) throw unsupportedParam(`${at}.${key} cannot be expressed in chat completions`, `${at}.${key}`);
    }
    const fn: ToolDefinition['function'] = { name: t.name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (isRecord(t.parameters)) fn.parameters = t.parameters;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    chat.push({ type: 'function', function: fn });
    echo.push({
      type: 'function', name: t.name, description: fn.description ?? null, parameters: fn.parameters ?? null, strict: fn.strict ?? false,
    });
  }
  return { chat, echo };
}

/** `none` / `auto` / `required`, or one named function; other choices name tools we reject anyway. */
export function toChatToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function') {
    if (typeof choice.name !== 'string' || choice.name.length === 0) throw badParam('tool_choice.name must be a non-empty string', 'tool_choice.name');
    return { type: 'function', function: { name: choice.name } };
  }
  if (typeof choice === 'string') throw badParam('tool_choice must be none, auto, required or {"type":"function","name":...}', 'tool_choice');
  const type = isRecord(choice) ? choice.type : undefined;
  throw unsupportedParam(`tool_choice of type ${JSON.stringify(type)} is not supported; use none, auto, required or a function`, 'tool_choice');
}
