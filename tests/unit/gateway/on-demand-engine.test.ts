import { describe, expect, it } from 'vitest';
import type { CallController, CallHandler, CallRequest, EngineStats, ProviderRuntime, UpstreamEngine } from '../../../src/model/index.js';
import { OnDemandEngine } from '../../../src/gateway/on-demand-engine.js';

/** An engine that records what it was asked. */
class RecordingEngine implements UpstreamEngine {
  readonly mode = 'workers' as const;
  calls = 0;
  providerLists: ProviderRuntime[][] = [];
  closed = false;
  constructor(readonly startedWith: ProviderRuntime[]) {}
  call(_request: CallRequest, _handler: CallHandler): CallController {
    this.calls++;
    return { pause() {}, resume() {}, abort() {} } as unknown as CallController;
  }
  setProviders(list: ProviderRuntime[]): void { this.providerLists.push(list); }
  ready(): Promise<void> { return Promise.resolve(); }
  stats(): EngineStats { return { mode: 'workers', actors: 2, inflight: 0, restarts: 0 }; }
  async close(): Promise<void> { this.closed = true; }
}

const provider = (name: string): ProviderRuntime => ({ name } as ProviderRuntime);

function onDemand(providers: ProviderRuntime[], lazy = false): { engine: OnDemandEngine; started: RecordingEngine[] } {
  const started: RecordingEngine[] = [];
  const engine = new OnDemandEngine(providers, (list) => {
    const e = new RecordingEngine(list);
    started.push(e);
    return e;
  }, { lazy });
  return { engine, started };
}

describe('OnDemandEngine', () => {
  it('starts no pool without providers, and reports no actors', async () => {
    const { engine, started } = onDemand([]);
    expect(started).toHaveLength(0);
    expect(engine.stats()).toEqual({ mode: 'workers', actors: 0, inflight: 0, restarts: 0 });
    await engine.ready();
    engine.setProviders([]);
    expect(started).toHaveLength(0);
    await engine.close();
    expect(started).toHaveLength(0);
  });

  it('starts the pool at once when providers are configured', () => {
    const { engine, started } = onDemand([provider('a')]);
    expect(started).toHaveLength(1);
    expect(started[0]!.startedWith.map((p) => p.name)).toEqual(['a']);
    expect(engine.stats().actors).toBe(2);
  });

  it('starts the pool with the first providers a reload brings, then passes later lists on', () => {
    const { engine, started } = onDemand([]);
    engine.setProviders([provider('a')]);
    expect(started).toHaveLength(1);
    expect(started[0]!.startedWith.map((p) => p.name)).toEqual(['a']);
    engine.setProviders([provider('a'), provider('b')]);
    expect(started).toHaveLength(1);
    expect(started[0]!.providerLists.map((l) => l.map((p) => p.name))).toEqual([['a', 'b']]);
    // Once started, the pool stays even when the providers go.
    engine.setProviders([]);
    expect(started[0]!.providerLists).toHaveLength(2);
  });

  it('a call starts the pool with the providers known so far', () => {
    const { engine, started } = onDemand([]);
    engine.call({} as CallRequest, {} as CallHandler);
    expect(started).toHaveLength(1);
    expect(started[0]!.calls).toBe(1);
  });

  it('a pool started after close is closed at once', async () => {
    const { engine, started } = onDemand([]);
    await engine.close();
    engine.call({} as CallRequest, {} as CallHandler);
    expect(started[0]!.closed).toBe(true);
  });

  it('a lazy pool starts at its first call only, with the providers known by then', async () => {
    const { engine, started } = onDemand([provider('a')], true);
    engine.setProviders([provider('a'), provider('b')]);
    expect(started).toHaveLength(0);
    expect(engine.stats().actors).toBe(0);
    await engine.ready();
    engine.call({} as CallRequest, {} as CallHandler);
    expect(started).toHaveLength(1);
    expect(started[0]!.startedWith.map((p) => p.name)).toEqual(['a', 'b']);
    expect(engine.stats().actors).toBe(2);
  });
});
