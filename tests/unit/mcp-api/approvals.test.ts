import { afterEach, describe, expect, it, vi } from 'vitest';
import { Approvals, MAX_PENDING_APPROVALS, MAX_PENDING_APPROVALS_PER_CLIENT, type ApprovalAsk, type ApprovalDecision } from '../../../src/mcp-api/approvals.js';

function ask(over: Partial<ApprovalAsk> = {}): ApprovalAsk {
  return {
    kind: 'tool', clientId: 'c_1', client: 'one', strategy: 's', session: 1, tool: 'fs__write', arguments: { path: 'a' },
    inputSchema: null, bytes: 100, timeoutMs: 60_000, ...over,
  };
}

function registry(persisted: string[] = [], counts: number[] = []): Approvals {
  return new Approvals({
    persistAlways: (strategy, kind, name) => { persisted.push(`${strategy}/${kind}/${name}`); },
    validate: (schema, args) => Promise.resolve(typeof args.path === 'string' ? null : 'path must be a string'),
    onChange: (n) => counts.push(n),
  });
}

afterEach(() => { vi.useRealTimers(); });

describe('Approvals', () => {
  it('decides each call once: approve with edited arguments, then the id is gone', async () => {
    const counts: number[] = [];
    const a = registry([], counts);
    const seen: ApprovalDecision[] = [];
    const id = a.hold(ask({ inputSchema: { type: 'object' } }), (d) => seen.push(d));
    expect(a.list()).toMatchObject([{ id, tool: 'fs__write', arguments: { path: 'a' } }]);
    await expect(a.approve(id, 'once', { path: 7 })).rejects.toMatchObject({ code: 'LR_ERR_BAD_REQUEST' });
    expect(a.size).toBe(1);
    await a.approve(id, 'once', { path: 'b' });
    expect(seen).toEqual([{ allow: true, id, arguments: { path: 'b' } }]);
    expect(() => a.deny(id, undefined)).toThrow(/no call waits/);
    expect(counts).toEqual([1, 0]);
  });

  it('times out with LR_ERR_APPROVAL_TIMEOUT', () => {
    vi.useFakeTimers();
    const a = registry();
    const seen: ApprovalDecision[] = [];
    a.hold(ask({ timeoutMs: 5000 }), (d) => seen.push(d));
    vi.advanceTimersByTime(4999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toMatchObject([{ allow: false, code: 'LR_ERR_APPROVAL_TIMEOUT' }]);
    expect(a.size).toBe(0);
  });

  it('caps calls per client, in all, and by bytes, denying the extra one at once', () => {
    const a = registry();
    const denied: ApprovalDecision[] = [];
    for (let i = 0; i < MAX_PENDING_APPROVALS_PER_CLIENT; i++) a.hold(ask(), () => {});
    a.hold(ask(), (d) => denied.push(d));
    expect(denied).toMatchObject([{ allow: false, code: 'LR_ERR_APPROVAL_DENIED', message: expect.stringMatching(/too many calls/) }]);
    for (let c = 2; a.size < MAX_PENDING_APPROVALS; c++) {
      for (let i = 0; i < MAX_PENDING_APPROVALS_PER_CLIENT && a.size < MAX_PENDING_APPROVALS; i++) a.hold(ask({ clientId: `c_${c}` }), () => {});
    }
    a.hold(ask({ clientId: 'c_new' }), (d) => denied.push(d));
    expect(denied).toHaveLength(2);
    const big = registry();
    big.hold(ask({ bytes: 20 * 1024 * 1024 }), () => {});
    big.hold(ask({ clientId: 'c_2', bytes: 20 * 1024 * 1024 }), (d) => denied.push(d));
    expect(denied).toHaveLength(3);
    expect(big.size).toBe(1);
  });

  it('"session" lets the waiting and later calls of that session and tool through; "always" persists and covers every session', async () => {
    const persisted: string[] = [];
    const a = registry(persisted);
    const seen: string[] = [];
    const first = a.hold(ask({ session: 1 }), () => seen.push('1a'));
    a.hold(ask({ session: 1 }), () => seen.push('1b'));
    a.hold(ask({ session: 2 }), () => seen.push('2'));
    a.hold(ask({ session: 1, tool: 'fs__read' }), () => seen.push('1-other-tool'));
    await a.approve(first, 'session', undefined);
    expect(seen).toEqual(['1a', '1b']);
    expect(a.preAllowed(1, 's', 'fs__write')).toBe(true);
    expect(a.preAllowed(2, 's', 'fs__write')).toBe(false);
    const third = a.list().find((v) => v.tool === 'fs__read')!.id;
    await a.approve(third, 'always', undefined);
    expect(persisted).toEqual(['s/tool/fs__read']);
    expect(a.preAllowed(9, 's', 'fs__read')).toBe(true);
    a.closed(1);
    expect(a.preAllowed(1, 's', 'fs__write')).toBe(false);
  });

  it('an "always" that cannot be saved leaves the call waiting', async () => {
    const a = new Approvals({ persistAlways: () => { throw new Error('disk full'); }, validate: () => Promise.resolve(null) });
    const id = a.hold(ask(), () => { throw new Error('must not be decided'); });
    await expect(a.approve(id, 'always', undefined)).rejects.toThrow('disk full');
    expect(a.size).toBe(1);
  });

  it('a dropped call (client gone) is neither decided nor kept; release lets calls the config no longer asks go on', () => {
    const a = registry();
    let dropped = 0;
    const id = a.hold(ask({ session: 3 }), () => { throw new Error('must not be decided'); }, () => dropped++);
    a.drop(id);
    a.hold(ask({ session: 3 }), () => { throw new Error('must not be decided'); }, () => dropped++);
    a.closed(3);
    expect(dropped).toBe(2);
    expect(a.size).toBe(0);
    const seen: string[] = [];
    a.hold(ask({ tool: 'a' }), (d) => seen.push(`a:${d.allow}`));
    a.hold(ask({ tool: 'b' }), (d) => seen.push(`b:${d.allow}`));
    a.release((x) => x.tool === 'b');
    expect(seen).toEqual(['b:true']);
    expect(a.list().map((v) => v.tool)).toEqual(['a']);
  });

  it('a reload that removes the strategy refuses its waiting calls instead of letting them through', () => {
    const a = registry();
    const seen: string[] = [];
    a.hold(ask({ tool: 'a', strategy: 'gone' }), (d) => seen.push(d.allow ? 'allowed' : `${d.code}: ${d.message}`));
    a.hold(ask({ tool: 'b', strategy: 'kept' }), (d) => seen.push(d.allow ? 'allowed' : 'refused'));
    a.release(() => true, (x) => x.strategy === 'gone');
    expect(seen[0]).toMatch(/^LR_ERR_APPROVAL_DENIED: .*strategy "gone" is no longer in the config/);
    expect(seen[1]).toBe('allowed');
    expect(a.size).toBe(0);
  });
});
