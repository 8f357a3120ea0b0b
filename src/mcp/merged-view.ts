import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { McpPolicy } from './access-policy.js';
import type { UpstreamInstance } from './upstream-instance.js';
import type { Item, ListKind } from './upstream-types.js';

/** Separator between a server's namespace and an item's own name. */
export const NAMESPACE_SEPARATOR = '__';

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
  /** Templates only: matchers for routing concrete URIs back. */
  matchers: { template: UriTemplate; owner: Owner }[];
  /** Servers left out because their list failed, and why. */
  unavailable: { server: string; error: string }[];
}

export interface MergeOptions {
  prefix: 'always' | 'never';
  policy: McpPolicy;
  generation: number;
  /** Called once per name two servers both expose (prefix `never`); the first server keeps it. */
  onConflict?(kind: ListKind, key: string, kept: string, dropped: string): void;
}

/**
 * Merges one kind of list across the given upstream instances: each item keeps every field it came
 * with (title, description, schemas, annotations, icons, `_meta`); tools and prompts are renamed
 * `<namespace>__<name>` (unless prefix is `never`), resources and templates keep their URIs (so links
 * inside tool results stay valid) and get the namespace on their `name` only. Items the policy hides
 * are left out, and a server whose list fails is left out and reported, never failing the whole list.
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
  const existing = view.owners.get(key);
  if (existing !== undefined) {
    opts.onConflict?.(kind, key, existing.inst.name, server);
    return;
  }
  const owner = { inst, original };
  view.owners.set(key, owner);
  view.items.push(name === prefixed ? item : { ...item, name: prefixed });
  if (kind === 'resourceTemplates') {
    try {
      view.matchers.push({ template: new UriTemplate(key), owner });
    } catch {
      // A template the SDK cannot parse is still listed; reads of its URIs route by other means.
    }
  }
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
