import { describe, expect, it } from 'vitest';
import type { CallController, CallHandler, CallRequest, EngineStats, ProviderRuntime, UpstreamEngine } from '../../../src/model/index.js';
import { AutoEngine, BUSY_HOLD_MS } from '../../../src/gateway/auto-engine.js';

/** An engine that records its calls and keeps each in flight until `finish`. */
class HoldingEngine implements UpstreamEngine {
  readonly mode: 'workers' | 'inline';
  readonly served: string[] = [];
  readonly providerLists: string[][] = [];
  inflight = 0;
  closed = false;
  constructor(mode: 'workers' | 'inline', readonly actors: number) {
    this.mode = mode;
  }
  call(request: CallRequest, _handler: CallHandler): CallController {
    this.served.push(request.candidates[0]!.model);
    this.inflight++;
    return { pause() {}, resume() {}, abort() {} } as unknown as CallController;
  }
  finish(): void { this.inflight--; }
  setProviders(list: ProviderRuntime[]): void { this.providerLists.push(list.map((p) => p.name)); }
  ready(): Promise<void> { return Promise.resolve(); }
  stats(): EngineStats { return { mode: this.mode, actors: this.actors, inflight: this.inflight, restarts: 3 }; }
  async close(): Promise<void> { this.closed = true; }
}

const provider = (name: string): ProviderRuntime => ({ name } as ProviderRuntime);
const request = (model: string, testCrash = false): CallRequest => ({
  candidates: [{ provider: 'p', model }], op: 'chat', body: '{}', stream: false, clientWantsUsage: false, dialect: 'chat', meta: null, testCrash,
});
const handler = {} as CallHandler;

function auto(providers: ProviderRuntime[], everyCallLocal = false): { engine: AutoEngine; actors: HoldingEngine; local: HoldingEngine; loads: ProviderRuntime[][]; clock: { ms: number }; open: { requests: number } } {
  const actors = new HoldingEngine('workers', 1);
  const local = new HoldingEngine('inline', 0);
  const loads: ProviderRuntime[][] = [];
  const clock = { ms: 1_000 };
  const open = { requests: 0 };
  const engine = new AutoEngine(providers, actors, async (list) => {
    loads.push(list);
    return local;
  }, () => open.requests, () => clock.ms, { everyCallLocal });
  return { engine, actors, local, loads, clock, open };
}

describe('AutoEngine', () => {
  it('runs a call on this thread when nothing else is in flight, and any call that overlaps it on the actors', async () => {
    const { engine, actors, local, clock } = auto([provider('a')]);
    expect(await engine.localReady()).toBe(true);
    engine.call(request('alone'), handler);
    engine.call(request('second'), handler);
    engine.call(request('third'), handler);
    expect(local.served).toEqual(['alone']);
    expect(actors.served).toEqual(['second', 'third']);
    expect(engine.stats()).toEqual({ mode: 'auto', actors: 1, inflight: 3, restarts: 3 });
    // The local call ended, two are still on the actors: the next one goes there too.
    local.finish();
    engine.call(request('fourth'), handler);
    expect(actors.served).toEqual(['second', 'third', 'fourth']);
    // All done, but calls just had company: they stay on the actors for the hold, then come back.
    for (let i = 0; i < 3; i++) actors.finish();
    clock.ms += BUSY_HOLD_MS - 1;
    engine.call(request('fifth'), handler);
    expect(actors.served).toEqual(['second', 'third', 'fourth', 'fifth']);
    actors.finish();
    clock.ms += BUSY_HOLD_MS;
    engine.call(request('sixth'), handler);
    expect(local.served).toEqual(['alone', 'sixth']);
  });

  it('sends a call to the actors while another client request is open, even one whose upstream call has not started', async () => {
    const { engine, actors, local, clock, open } = auto([provider('a')]);
    await engine.localReady();
    open.requests = 2;
    engine.call(request('busy'), handler);
    expect(actors.served).toEqual(['busy']);
    actors.finish();
    open.requests = 1;
    clock.ms += BUSY_HOLD_MS;
    engine.call(request('alone'), handler);
    expect(local.served).toEqual(['alone']);
  });

  it('sends calls to the actors until the on-thread engine is loaded, and loads it only once a provider exists', async () => {
    const { engine, actors, local, loads } = auto([]);
    expect(await engine.localReady()).toBe(false);
    engine.call(request('before'), handler);
    expect(actors.served).toEqual(['before']);
    actors.finish();
    expect(loads).toHaveLength(0);
    engine.setProviders([provider('b')]);
    // Loading is under way: the call before it finishes still goes to the actors.
    engine.call(request('loading'), handler);
    actors.finish();
    expect(await engine.localReady()).toBe(true);
    expect(loads).toHaveLength(1);
    expect(local.providerLists).toEqual([['b']]);
    engine.call(request('loaded'), handler);
    expect(actors.served).toEqual(['before', 'loading']);
    expect(local.served).toEqual(['loaded']);
    engine.setProviders([provider('c')]);
    expect(actors.providerLists).toEqual([['b'], ['c']]);
    expect(local.providerLists).toEqual([['b'], ['c']]);
  });

  it('keeps crash-hook calls on the actors, and closes both engines', async () => {
    const { engine, actors, local } = auto([provider('a')]);
    await engine.localReady();
    engine.call(request('crash', true), handler);
    expect(actors.served).toEqual(['crash']);
    expect(local.served).toEqual([]);
    await engine.close();
    expect(actors.closed).toBe(true);
    expect(local.closed).toBe(true);
  });

  it('falls back to the actors for every call when the on-thread engine cannot load', async () => {
    const actors = new HoldingEngine('workers', 1);
    const engine = new AutoEngine([provider('a')], actors, () => Promise.reject(new Error('no engine')), () => 0);
    expect(await engine.localReady()).toBe(false);
    engine.call(request('x'), handler);
    expect(actors.served).toEqual(['x']);
  });

  it('with everyCallLocal (a small machine) runs overlapping calls on this thread too, once it is loaded; crash-hook calls still go to an actor', async () => {
    const { engine, actors, local, open } = auto([provider('a')], true);
    open.requests = 5;
    engine.call(request('early'), handler); // before the on-thread engine is there
    expect(await engine.localReady()).toBe(true);
    for (const m of ['one', 'two', 'three']) engine.call(request(m), handler);
    expect(local.served).toEqual(['one', 'two', 'three']);
    engine.call(request('crash', true), handler);
    expect(actors.served).toEqual(['early', 'crash']);
  });
});
