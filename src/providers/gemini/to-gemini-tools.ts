import type { ChatRequest } from '../../model/index.js';
import type { GeminiFunctionDeclaration, GeminiToolConfig } from './gemini-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';
import { toGeminiSchema } from './to-gemini-schema.js';

/** `FunctionDeclaration.name`: starts with a letter or `_`; letters, digits, `_ . : -`; at most 64. */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

export interface GeminiToolsPart {
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: GeminiToolConfig;
}

/**
 * OpenAI `tools`, `tool_choice` and `parallel_tool_calls` → Gemini `tools[].functionDeclarations`
 * and `toolConfig.functionCallingConfig`:
 * `auto` → AUTO, `none` → NONE, `required` → ANY, a named function → ANY limited to that name,
 * `allowed_tools` → ANY (required) or VALIDATED (auto) limited to the listed names.
 */
export function toGeminiTools(body: ChatRequest): GeminiToolsPart {
  const declarations = given(body.tools) ? functionDeclarations(body.tools) : [];
  const names = new Set(declarations.map((d) => d.name));
  const out: GeminiToolsPart = {};
  if (declarations.length > 0) out.tools = [{ functionDeclarations: declarations }];
  if (body.parallel_tool_calls === false && declarations.length > 0) {
    throw unsupported('parallel_tool_calls', '"parallel_tool_calls": false cannot be expressed: Gemini may always call several functions at once');
  }
  if (given(body.tool_choice)) {
    const config = functionCallingConfig(body.tool_choice, names);
    if (config) out.toolConfig = { functionCallingConfig: config };
  }
  return out;
}

function functionDeclarations(tools: unknown): GeminiFunctionDeclaration[] {
  if (!Array.isArray(tools)) throw badRequest('tools', '"tools" must be an array');
  const seen = new Set<string>();
  return tools.map((tool, i) => {
    const param = `tools[${i}]`;
    if (!isObject(tool)) throw badRequest(param, `"${param}" must be an object`);
    if (tool.type !== 'function') throw unsupported(`${param}.type`, `tool type "${String(tool.type)}" is not supported; only "function" tools are`);
    const fn = tool.function;
    if (!isObject(fn) || typeof fn.name !== 'string') throw badRequest(`${param}.function`, `"${param}.function" must be an object with a string "name"`);
    if (!FUNCTION_NAME.test(fn.name)) {
      throw unsupported(`${param}.function.name`, `function name "${fn.name.slice(0, 80)}" is not accepted by Gemini (letters, digits, "_", ".", ":", "-"; starting with a letter or "_"; at most 64)`);
    }
    if (seen.has(fn.name)) throw badRequest(`${param}.function.name`, `function name "${fn.name}" is declared twice`);
    seen.add(fn.name);
    const decl: GeminiFunctionDeclaration = { name: fn.name };
    if (given(fn.description)) {
      if (typeof fn.description !== 'string') throw badRequest(`${param}.function.description`, '"description" must be a string');
      decl.description = fn.description;
    }
    if (given(fn.parameters)) {
      decl.parametersJsonSchema = toGeminiSchema(fn.parameters, { strict: fn.strict === true, param: `${param}.function.parameters` });
    }
    return decl;
  });
}

function functionCallingConfig(choice: unknown, names: Set<string>): GeminiToolConfig['functionCallingConfig'] | null {
  if (choice === 'auto' || choice === 'none') {
    // Without tools both mean "no call", which is what Gemini does anyway.
    if (names.size === 0) return null;
    return { mode: choice === 'auto' ? 'AUTO' : 'NONE' };
  }
  if (names.size === 0) throw badRequest('tool_choice', '"tool_choice" requires "tools"');
  if (choice === 'required') return { mode: 'ANY' };
  if (!isObject(choice)) throw badRequest('tool_choice', '"tool_choice" must be "none", "auto", "required" or an object');
  if (choice.type === 'function') {
    const fn = choice.function;
    const name = isObject(fn) ? fn.name : undefined;
    return { mode: 'ANY', allowedFunctionNames: [declared(name, names, 'tool_choice.function.name')] };
  }
  if (choice.type === 'allowed_tools') {
    const at = choice.allowed_tools;
    if (!isObject(at) || !Array.isArray(at.tools) || at.tools.length === 0) {
      throw badRequest('tool_choice.allowed_tools', '"allowed_tools" must have a non-empty "tools" list');
    }
    const allowed = at.tools.map((t, i) => {
      const param = `tool_choice.allowed_tools.tools[${i}]`;
      if (!isObject(t) || t.type !== 'function') throw unsupported(param, 'only function tools can be allowed');
      return declared(isObject(t.function) ? t.function.name : undefined, names, `${param}.function.name`);
    });
    if (at.mode === 'required') return { mode: 'ANY', allowedFunctionNames: allowed };
    if (at.mode === 'auto') return { mode: 'VALIDATED', allowedFunctionNames: allowed };
    throw badRequest('tool_choice.allowed_tools.mode', '"mode" must be "auto" or "required"');
  }
  throw unsupported('tool_choice', `tool_choice of type "${String(choice.type)}" cannot be expressed`);
}

function declared(name: unknown, names: Set<string>, param: string): string {
  if (typeof name !== 'string' || !names.has(name)) {
    throw badRequest(param, `"${param}" must name a function declared in "tools"`);
  }
  return name;
}
