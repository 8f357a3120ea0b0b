import { compileAccessRules } from '../routing/index.js';
import type { McpAccessRuntime, McpRuleRuntime, McpToolShape } from '../workers/index.js';

/** What one strategy's clients may see and use over /mcp, compiled once per config load. */
export interface McpPolicy {
  serverAllowed(server: string): boolean;
  /** Tool and prompt names are the server's own (unprefixed) names. */
  toolAllowed(server: string, tool: string): boolean;
  promptAllowed(server: string, prompt: string): boolean;
  /** A resource URI, or a resource template's URI template. */
  resourceAllowed(server: string, uri: string): boolean;
  /** Tool shaping by exposed tool name (`tool-shaping.ts`); empty when the strategy shapes nothing. */
  toolShapes: Readonly<Record<string, McpToolShape>>;
  /** A skill by its name (its tool is `skills__<name>`). */
  skillAllowed(skill: string): boolean;
}

const ALLOW_ALL: McpPolicy = {
  serverAllowed: () => true, toolAllowed: () => true, promptAllowed: () => true, resourceAllowed: () => true, toolShapes: {}, skillAllowed: () => true,
};

type Test = (value: string) => boolean;

/**
 * Compiles a strategy's `mcp` rules. Patterns use `*` wildcards and the routing rule "most specific
 * pattern wins, deny on ties" (the same as model access). A server or kind without rules allows all.
 */
export function compileMcpPolicy(access: McpAccessRuntime | null): McpPolicy {
  if (access === null) return ALLOW_ALL;
  const servers = compileAccessRules(access.servers, access.denyServers);
  const per = new Map<string, { tools: Test; prompts: Test; resources: Test }>();
  for (const [server, rules] of Object.entries(access.perServer)) {
    per.set(server, { tools: rule(rules.tools), prompts: rule(rules.prompts), resources: rule(rules.resources) });
  }
  return {
    serverAllowed: servers,
    toolAllowed: (server, tool) => servers(server) && (per.get(server)?.tools(tool) ?? true),
    promptAllowed: (server, prompt) => servers(server) && (per.get(server)?.prompts(prompt) ?? true),
    resourceAllowed: (server, uri) => servers(server) && (per.get(server)?.resources(uri) ?? true),
    toolShapes: access.tools ?? {},
    skillAllowed: compileAccessRules(access.skills ?? ['*'], access.denySkills ?? []),
  };
}

/**
 * A strategy's policy narrowed to one virtual server (`/mcp/<name>`): only its servers, and of their
 * tools only those its `<server>/<tool>` patterns match. Shaping stays the strategy's. Skills are not
 * offered there: a virtual server is a narrowed view, and a skill would widen it.
 */
export function scopeMcpPolicy(policy: McpPolicy, scope: { servers: string[]; tools: string[] }): McpPolicy {
  const servers = compileAccessRules(scope.servers, []);
  const tools = compileAccessRules(scope.tools, []);
  const serverAllowed = (server: string): boolean => servers(server) && policy.serverAllowed(server);
  return {
    serverAllowed,
    toolAllowed: (server, tool) => serverAllowed(server) && tools(`${server}/${tool}`) && policy.toolAllowed(server, tool),
    promptAllowed: (server, prompt) => serverAllowed(server) && policy.promptAllowed(server, prompt),
    resourceAllowed: (server, uri) => serverAllowed(server) && policy.resourceAllowed(server, uri),
    toolShapes: policy.toolShapes,
    skillAllowed: () => false,
  };
}

function rule(r: McpRuleRuntime | undefined): Test {
  return r === undefined ? () => true : compileAccessRules(r.allow, r.deny);
}
