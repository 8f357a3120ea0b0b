import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { McpPolicy } from './access-policy.js';
import type { UpstreamInstance } from './upstream-instance.js';
import type { Item, ListKind } from './upstream-types.js';

/** Separator between a server's namespace and an item's own name. */
export const NAMESPACE_SEPARATOR = '__';
/** Scheme of a resource URI namespaced because several servers list it: `localrouter://<namespace>/<uri>`. */
const NAMESPACED_URI_SCHEME = 'localrouter://';

/** The URI a session sees for `uri` of the server with `namespace` when another server lists the same URI. */
export function namespacedUri(namespace: string, uri: string): string {
  return `${NAMESPACED_URI_SCHEME}${namespace}/${uri}`;
}

/** Where one merged item came from. */
export interface Owner {
  inst: UpstreamInstance;
  /** The item's name (tools, prompts) or URI / URI template (resources, templates) upstream. */
  original: string;
}

/** One merged list as a session sees it, with the way back to each item's server. */
export interface MergedView {
  generation: number;
  items: Item[];
  /** Exposed name (tools, prompts) or URI / URI template (resources, templates) → owner. */
  owners: Map<string, Owner>;
  /**
   * Templates only: matchers for routing concrete URIs back; `prefix` is the `localrouter://<namespace>/`
   * a namespaced template adds, cut off a matching URI before it goes upstream.
   */
  matchers: { template: UriTemplate; owner: Owner; prefix: string }[];
  /** Servers left out because their list failed, and why. */
  unavailable: { server: string; error: string }[];
}

export interface MergeOptions {
  prefix: 'always' | 'never';
  policy: McpPolicy;
  generation: number;
  /**
   * Called for each name, URI or template two servers both expose: the first server keeps it; a
   * later server's resource or template is listed under `renamed` (see `namespacedUri`), anything
   * else is left out.
   */
  onConflict?(kind: ListKind, key: string, kept: string, other: string, renamed: string | null): void;
}

/**
 * Merges one kind of list across the given upstream instances: each item keeps every field it came
 * with, in its order (title, description, schemas, annotations, icons, `_meta`, fields no revision
 * defines yet); tools and prompts are renamed `<namespace>__<name>` (unless prefix is `never`),
 * resources and templates keep their URIs (so links inside tool results stay valid) and get the
 * namespace on their `name` only. A resource URI or URI template an earlier server already lists is
 * namespaced (`localrouter://<namespace>/<uri>`) and routed back by that URI. Items the policy hides are left
 * out, and a server whose list fails is left out and reported, never failing the whole list.
 */
export async function buildMergedView(kind: ListKind, instances: readonly UpstreamInstance[], opts: MergeOptions): Promise<MergedView> {
  const settled = await Promise.allSettled(instances.map((inst) => inst.list(kind)));
  const view: MergedView = { generation: opts.generation, items: [], owners: new Map(), matchers: [], unavailable: [] };
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[i]!;
    const outcome = settled[i]!;
    if (outcome.status === 'rejected') {
      view.unavailable.push({ server: inst.name, error: messageOf(outcome.reason) });
      continue;
    }
    for (const item of outcome.value) addItem(view, kind, inst, item, opts);
  }
  return view;
}

function addItem(view: MergedView, kind: ListKind, inst: UpstreamInstance, item: Item, opts: MergeOptions): void {
  const name = typeof item.name === 'string' ? item.name : '';
  const server = inst.name;
  const prefixed = opts.prefix === 'always' ? `${inst.runtime.namespace}${NAMESPACE_SEPARATOR}${name}` : name;
  let key: string;
  let original: string;
  switch (kind) {
    case 'tools':
      if (!opts.policy.toolAllowed(server, name)) return;
      key = prefixed;
      original = name;
      break;
    case 'prompts':
      if (!opts.policy.promptAllowed(server, name)) return;
      key = prefixed;
      original = name;
      break;
    case 'resources':
      original = key = String(item.uri ?? '');
      if (!opts.policy.resourceAllowed(server, key)) return;
      break;
    case 'resourceTemplates':
      original = key = String(item.uriTemplate ?? '');
      if (!opts.policy.resourceAllowed(server, key)) return;
      break;
  }
  let exposed: Item = name === prefixed ? item : { ...item, name: prefixed };
  const existing = view.owners.get(key);
  if (existing !== undefined) {
    const uriKind = kind === 'resources' || kind === 'resourceTemplates';
    const renamed = uriKind && existing.inst !== inst ? namespacedUri(inst.runtime.namespace, key) : null;
    opts.onConflict?.(kind, key, existing.inst.name, server, renamed);
    if (renamed === null || view.owners.has(renamed)) return;
    key = renamed;
    exposed = kind === 'resources' ? { ...exposed, uri: renamed } : { ...exposed, uriTemplate: renamed };
  }
  const owner = { inst, original };
  view.owners.set(key, owner);
  view.items.push(exposed);
  if (kind === 'resourceTemplates') {
    try {
      view.matchers.push({ template: new UriTemplate(key), owner, prefix: key === original ? '' : namespacedUri(inst.runtime.namespace, '') });
    } catch {
      // A template the SDK cannot parse is still listed; reads of its URIs route by other means.
    }
  }
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
