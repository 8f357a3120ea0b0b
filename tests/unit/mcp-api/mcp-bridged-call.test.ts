import { afterEach, describe, expect, it, vi } from 'vitest';
import { BridgedCall, CALL_ID, type BridgedCallDeps, type CallRound, type RoundOutcome } from '../../../src/mcp-api/mcp-bridged-call.js';

type Item = Record<string, unknown>;

/** A call with recording deps, and rounds whose outcomes are collected. */
function setup(parkMs = 1000, refusal?: BridgedCallDeps['refusal']): {
  call: BridgedCall; delivered: Item[]; ended: () => number; parked: () => boolean; outcomes: RoundOutcome[]; round(): CallRound; notes: string[];
} {
  const delivered: Item[] = [];
  const outcomes: RoundOutcome[] = [];
  const notes: string[] = [];
  let ended = 0;
  let parked = false;
  const round = (): CallRound => ({ settle: (o) => outcomes.push(o), notify: (m) => notes.push(m) });
  const call = new BridgedCall('tools/call', 'c1', {
    deliver: (m) => delivered.push(m), end: () => { ended++; }, parked: (_c, on) => { parked = on; }, parkMs,
    ...(refusal !== undefined ? { refusal } : {}),
  }, round(), null, { elicitation: {} });
  return { call, delivered, ended: () => ended, parked: () => parked, outcomes, round, notes };
}

const flush = (): Promise<void> => new Promise((r) => queueMicrotask(r));

afterEach(() => { vi.useRealTimers(); });

describe('BridgedCall (an upstream call across input_required rounds)', () => {
  it('answers the round with the response when no input is needed; notifications go to the round', () => {
    const t = setup();
    t.call.fromActor({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } }, false);
    t.call.fromActor({ jsonrpc: '2.0', id: CALL_ID, result: { content: [] } }, true);
    expect(t.notes).toEqual(['notifications/progress']);
    expect(t.outcomes).toEqual([{ kind: 'answer', answer: { jsonrpc: '2.0', id: CALL_ID, result: { content: [] } } }]);
    expect(t.ended()).toBe(1);
    expect(t.call.over).toBe(true);
  });

  it('hands requests made at once to the client in one round, parks, and sends each answer upstream on resume', async () => {
    const t = setup();
    t.call.fromActor({ jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: { messages: [] } }, false);
    t.call.fromActor({ jsonrpc: '2.0', id: 8, method: 'elicitation/create', params: { message: 'name?' } }, false);
    await flush();
    expect(t.outcomes).toEqual([{ kind: 'input', requests: {
      'input-1': { method: 'sampling/createMessage', params: { messages: [] } },
      'input-2': { method: 'elicitation/create', params: { message: 'name?' } },
    } }]);
    expect(t.parked()).toBe(true);
    // The client answers one of them: that one goes upstream, the other is asked again.
    t.call.resume(t.round(), { 'input-1': { role: 'assistant', content: { type: 'text', text: 'hi' } } });
    expect(t.delivered).toEqual([{ jsonrpc: '2.0', id: 7, result: { role: 'assistant', content: { type: 'text', text: 'hi' } } }]);
    expect(t.outcomes[1]).toEqual({ kind: 'input', requests: { 'input-2': { method: 'elicitation/create', params: { message: 'name?' } } } });
    t.call.resume(t.round(), { 'input-2': { action: 'accept', content: { name: 'Ada' } } });
    expect(t.delivered[1]).toEqual({ jsonrpc: '2.0', id: 8, result: { action: 'accept', content: { name: 'Ada' } } });
    expect(t.parked()).toBe(false);
    t.call.fromActor({ jsonrpc: '2.0', id: CALL_ID, result: { ok: true } }, true);
    expect(t.outcomes[2]).toEqual({ kind: 'answer', answer: { jsonrpc: '2.0', id: CALL_ID, result: { ok: true } } });
  });

  it('checks the requests it asks again against the capabilities the retry declares: one not covered any more is answered upstream with an error, not handed out', async () => {
    // As mcp-modern checks it: elicitation needs the capability elicitation, declared by the round's request.
    const t = setup(1000, (request, declared) => request.method === 'elicitation/create' && declared?.elicitation === undefined ? 'elicitation not declared' : null);
    expect(t.call.declared).toEqual({ elicitation: {} });
    t.call.fromActor({ jsonrpc: '2.0', id: 7, method: 'elicitation/create', params: { message: 'name?' } }, false);
    t.call.fromActor({ jsonrpc: '2.0', id: 8, method: 'roots/list' }, false);
    await flush();
    expect(Object.keys((t.outcomes[0] as { requests: Item }).requests)).toEqual(['input-1', 'input-2']);
    // The retry answers neither and declares no elicitation: roots/list is asked again, the elicitation refused upstream.
    t.call.resume(t.round(), undefined, { roots: {} });
    expect(t.call.declared).toEqual({ roots: {} });
    expect(t.delivered).toEqual([{ jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'elicitation not declared' } }]);
    expect(t.outcomes[1]).toEqual({ kind: 'input', requests: { 'input-2': { method: 'roots/list' } } });
    // A retry declaring nothing the remaining request needs, and answering nothing: nothing is handed out, the call waits for its upstream.
    t.call.resume(t.round(), { 'input-2': { roots: [] } }, {});
    expect(t.delivered[1]).toEqual({ jsonrpc: '2.0', id: 8, result: { roots: [] } });
    expect(t.parked()).toBe(false);
    t.call.fromActor({ jsonrpc: '2.0', id: CALL_ID, result: { ok: true } }, true);
    expect(t.outcomes[2]).toEqual({ kind: 'answer', answer: { jsonrpc: '2.0', id: CALL_ID, result: { ok: true } } });
  });

  it('keeps an answer that came while parked for the next round', async () => {
    const t = setup();
    t.call.fromActor({ jsonrpc: '2.0', id: 7, method: 'roots/list' }, false);
    await flush();
    t.call.fromActor({ jsonrpc: '2.0', id: CALL_ID, error: { code: -32001, message: 'timed out upstream' } }, true);
    expect(t.outcomes).toHaveLength(1);
    t.call.resume(t.round(), {});
    expect(t.outcomes[1]).toEqual({ kind: 'answer', answer: { jsonrpc: '2.0', id: CALL_ID, error: { code: -32001, message: 'timed out upstream' } } });
    expect(t.ended()).toBe(1);
  });

  it('cancels the upstream call when the client does not come back in time, and refuses a late resume', async () => {
    vi.useFakeTimers();
    const t = setup(1000);
    t.call.fromActor({ jsonrpc: '2.0', id: 7, method: 'elicitation/create', params: { message: 'x' } }, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.parked()).toBe(true);
    await vi.advanceTimersByTimeAsync(1001);
    expect(t.delivered).toEqual([{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: CALL_ID, reason: 'the client did not come back with the input the call needs' } }]);
    expect(t.ended()).toBe(1);
    expect(t.parked()).toBe(false);
    t.call.resume(t.round(), { 'input-1': { action: 'accept' } });
    expect(t.outcomes.at(-1)).toEqual({ kind: 'answer', answer: { error: { code: -32602, message: 'Invalid or expired requestState' } } });
    expect(t.delivered).toHaveLength(1);
  });

  it('a round whose client goes away cancels the call once', () => {
    const t = setup();
    t.call.cancel('the client went away');
    t.call.cancel('again');
    expect(t.delivered).toHaveLength(1);
    expect(t.outcomes).toEqual([{ kind: 'answer', answer: { error: { code: -32000, message: 'request cancelled: the client went away' } } }]);
    t.call.fromActor({ jsonrpc: '2.0', id: CALL_ID, result: {} }, true);
    expect(t.outcomes).toHaveLength(1);
  });
});
