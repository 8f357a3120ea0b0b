import { describe, expect, it } from 'vitest';
import { compileMcpPolicy } from '../../../src/mcp/access-policy.js';
import { buildMergedView } from '../../../src/mcp/merged-view.js';
import { paginate } from '../../../src/mcp/paginate.js';
import { samplingToChat, chatToSamplingResult } from '../../../src/mcp/sampling-request.js';
import { splitCommand } from '../../../src/cli/split-command.js';

/** Just enough of an UpstreamInstance for merging. */
function fakeInstance(name: string, items: Record<string, unknown>[] | Error) {
  return {
    name, runtime: { namespace: name },
    list: async () => { if (items instanceof Error) throw items; return items; },
  } as never;
}

describe('buildMergedView', () => {
  const tool = { name: 'echo', title: 'Echo', description: 'd', inputSchema: { type: 'object' }, outputSchema: { type: 'object' }, annotations: { readOnlyHint: true }, icons: [{ src: 'x' }], _meta: { k: 1 } };

  it('namespaces names, keeps every other field, routes back, and reports a failing server', async () => {
    const view = await buildMergedView('tools', [fakeInstance('a', [tool]), fakeInstance('b', new Error('boom')), fakeInstance('c', [tool])],
      { prefix: 'always', policy: compileMcpPolicy(null), generation: 1 });
    expect(view.items).toEqual([{ ...tool, name: 'a__echo' }, { ...tool, name: 'c__echo' }]);
    expect(view.owners.get('c__echo')).toMatchObject({ original: 'echo' });
    expect(view.unavailable).toEqual([{ server: 'b', error: 'boom' }]);
  });

  it('with prefix never, the first server keeps a conflicting name', async () => {
    const conflicts: string[] = [];
    const view = await buildMergedView('tools', [fakeInstance('a', [tool]), fakeInstance('c', [tool])],
      { prefix: 'never', policy: compileMcpPolicy(null), generation: 1, onConflict: (_k, key, kept, dropped) => conflicts.push(`${key}:${kept}>${dropped}`) });
    expect(view.items.map((t) => t.name)).toEqual(['echo']);
    expect(conflicts).toEqual(['echo:a>c']);
  });

  it('leaves out what the policy hides', async () => {
    const policy = compileMcpPolicy({ servers: ['a', 'c'], denyServers: ['c'], perServer: { a: { tools: { allow: ['*'], deny: ['sec*'] }, resources: { allow: ['file:///pub/*'], deny: [] } } } });
    const view = await buildMergedView('tools', [fakeInstance('a', [tool, { ...tool, name: 'secret' }])], { prefix: 'always', policy, generation: 1 });
    expect(view.items.map((t) => t.name)).toEqual(['a__echo']);
    expect(policy.serverAllowed('c')).toBe(false);
    expect(policy.resourceAllowed('a', 'file:///pub/x')).toBe(true);
    expect(policy.resourceAllowed('a', 'file:///etc/passwd')).toBe(false);
  });
});

describe('paginate', () => {
  it('pages with opaque cursors and refuses a forged one', () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    const first = paginate(items, undefined, 2);
    expect(first.items).toEqual([0, 1]);
    const second = paginate(items, first.nextCursor, 2);
    const third = paginate(items, second.nextCursor, 2);
    expect([...second.items, ...third.items]).toEqual([2, 3, 4]);
    expect(third.nextCursor).toBeUndefined();
    expect(() => paginate(items, 'garbage', 2)).toThrow(/Invalid cursor/);
  });
});

describe('sampling through the gateway', () => {
  it('maps an MCP sampling request to a chat body and the answer back', () => {
    const body = samplingToChat({ systemPrompt: 'be brief', maxTokens: 50, temperature: 0.2, stopSequences: ['END'],
      modelPreferences: { hints: [{ name: 'claude' }, { name: 'openai/gpt-4o-mini' }] },
      messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] });
    expect(body).toEqual({ model: 'openai/gpt-4o-mini', max_tokens: 50, temperature: 0.2, stop: ['END'], messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] });
    const result = chatToSamplingResult(JSON.stringify({ model: 'm', choices: [{ message: { content: 'yo' }, finish_reason: 'length' }] }));
    expect(result).toEqual({ role: 'assistant', content: { type: 'text', text: 'yo' }, model: 'm', stopReason: 'maxTokens' });
  });
});

describe('splitCommand', () => {
  it('splits like a shell for plain words and quotes', () => {
    expect(splitCommand(`npx -y "@scope/pkg" 'a b' c\\ d`)).toEqual(['npx', '-y', '@scope/pkg', 'a b', 'c d']);
    expect(() => splitCommand('"open')).toThrow(/unterminated/);
  });
});
