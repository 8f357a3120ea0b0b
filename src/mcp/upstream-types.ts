import type { Progress } from '@modelcontextprotocol/sdk/types.js';

/** The four mergeable lists, keyed by their `list` method's result field. */
export const LIST_KINDS = {
  tools: { method: 'tools/list', field: 'tools', capability: 'tools' },
  prompts: { method: 'prompts/list', field: 'prompts', capability: 'prompts' },
  resources: { method: 'resources/list', field: 'resources', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', field: 'resourceTemplates', capability: 'resources' },
} as const;

export type ListKind = keyof typeof LIST_KINDS;

/** A JSON object as it came from an upstream: every field kept, nothing validated away. */
export type Item = Record<string, unknown>;

/**
 * One client request being served upstream. Server-to-client traffic an upstream sends while serving
 * it (progress, logs, sampling, elicitation, roots) goes back through here, on that request's stream.
 */
export interface CallRef {
  /** The client session's number. */
  readonly session: number;
  notify(method: string, params: Item): Promise<void>;
  /** A request to the client, related to the client's request (so it rides that request's stream). */
  request(method: string, params: Item, signal: AbortSignal): Promise<Item>;
  /** Whether the client declared a capability (`sampling`, `elicitation`, `roots`). */
  clientCan(capability: string): boolean;
  /** The least severe log level the client wants (`logging/setLevel`); null when it chose none. */
  logLevel(): string | null;
}

/** What a request upstream may do on the way: report progress, be cancelled. */
export interface UpstreamRequestOptions {
  call: CallRef | null;
  signal?: AbortSignal;
  onprogress?: (progress: Progress) => void;
}
