import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalRouterError } from '../../../src/errors/index.js';
import { ActorHost, FrameBatcher, type ActorCrash, type ActorHostOptions, type RestartPolicy } from '../../../src/workers/index.js';

const FIXTURE = new URL('./fixtures/tiny-actor.mjs', import.meta.url);
const POLICY: RestartPolicy = { quickMs: 1_000, freeRestarts: 1, firstDelayMs: 100, maxDelayMs: 400 };

type ToTiny = { op: 'work' | 'crash' | 'bye'; id?: number };
type FromTiny = { op: 'ready' | 'done' | 'bye'; id?: number; generation?: number };

/**
 * The owner side of a tiny actor, as the real owners are written: frames batched per turn and held
 * while the thread is down, work in flight failed with a coded error when it crashes. Waits are
 * driven by the thread's own messages, never by timers (they are fake here).
 */
class TinyOwner {
  readonly host: ActorHost<ToTiny[], FromTiny>;
  readonly out: FrameBatcher<ToTiny>;
  readonly crashes: ActorCrash[] = [];
  readonly failures: { id: number; code: string }[] = [];
  readyCount = 0;
  generation = 0;
  #pending = new Map<number, { resolve(generation: number): void; reject(err: LocalRouterError): void }>();
  #seq = 0;
  #waiters: (() => void)[] = [];

  constructor({ data, ...opts }: Partial<ActorHostOptions<FromTiny>> & { data?: Record<string, unknown> } = {}) {
    this.out = new FrameBatcher<ToTiny>((frames) => this.host.post(frames));
    this.host = new ActorHost<ToTiny[], FromTiny>({
      entry: FIXTURE,
      name: 'tiny-actor',
      workerData: () => ({ ...data, generation: ++this.generation }),
      onMessage: (m) => this.#receive(m),
      onCrash: (crash) => this.#crashed(crash),
      restart: POLICY,
      outbox: this.out,
      ...opts,
    });
  }

  work(): Promise<number> {
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.out.push({ op: 'work', id });
    });
  }

  crash(): void {
    this.out.push({ op: 'crash' });
  }

  /** Resolves once `cond` holds, re-checked on every message and crash. */
  until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  #wake(): void {
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w();
  }

  #receive(m: FromTiny): void {
    if (m.op === 'ready') {
      this.readyCount++;
      this.host.markReady();
    } else if (m.op === 'done') {
      const p = this.#pending.get(m.id!);
      this.#pending.delete(m.id!);
      p?.resolve(m.generation!);
    }
    this.#wake();
  }

  #crashed(crash: ActorCrash): void {
    this.crashes.push(crash);
    const failed = [...this.#pending];
    this.#pending.clear();
    for (const [id, p] of failed) {
      const err = new LocalRouterError('LR_ERR_ACTOR_CRASHED', 'the tiny actor crashed');
      this.failures.push({ id, code: err.code });
      p.reject(err);
    }
    this.#wake();
  }
}

const owners: TinyOwner[] = [];
function owner(opts: ConstructorParameters<typeof TinyOwner>[0] = {}): TinyOwner {
  const o = new TinyOwner(opts);
  owners.push(o);
  return o;
}

beforeEach(() => {
  // Only the host's own clocks are faked: the frame batcher's setImmediate and the threads run for real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(owners.splice(0).map((o) => o.host.close()));
});

describe('ActorHost', () => {
  it('crash: the work in flight fails once with a coded error, the thread restarts with backoff and is ready again', async () => {
    const o = owner();
    o.host.start();
    await o.host.whenReady();
    expect(await o.work()).toBe(1);

    // Sent in the same batch after the crash: lost with the thread, so it is in flight when it dies.
    o.crash();
    const lost = o.work().then(() => null, (err: unknown) => err);
    expect(await lost).toMatchObject({ code: 'LR_ERR_ACTOR_CRASHED' });
    expect(o.failures).toEqual([{ id: 2, code: 'LR_ERR_ACTOR_CRASHED' }]);
    expect(o.crashes).toHaveLength(1);
    expect(o.crashes[0]!.error?.message).toBe('tiny actor crash');
    expect(o.crashes[0]!.restartInMs).toBe(0); // the first death of a streak restarts at once
    expect(o.host.restarts).toBe(1);
    await o.until(() => o.readyCount === 2);
    expect(o.host.ready).toBe(true);
    expect(await o.work()).toBe(2);

    // Dying again soon after its start: the restart waits, and work sent meanwhile waits for the next thread.
    o.crash();
    await o.until(() => o.crashes.length === 2);
    expect(o.crashes[1]!.restartInMs).toBe(100);
    expect(o.host.running).toBe(false);
    expect(o.host.ready).toBe(false);
    const held = o.work();
    await vi.advanceTimersByTimeAsync(99);
    expect(o.host.running).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(o.host.running).toBe(true);
    expect(await held).toBe(3);
    expect(o.readyCount).toBe(3);

    // Each further quick death doubles the delay, up to the cap.
    for (const expected of [200, 400, 400]) {
      const n = o.crashes.length;
      o.crash();
      await o.until(() => o.crashes.length === n + 1);
      expect(o.crashes[n]!.restartInMs).toBe(expected);
      await vi.advanceTimersByTimeAsync(expected);
      await o.until(() => o.host.ready);
    }
    expect(o.host.restarts).toBe(5);
    expect(o.failures).toHaveLength(1);

    // A thread that lived past `quickMs` starts a new streak: restarted at once.
    vi.setSystemTime(Date.now() + 1_000);
    o.crash();
    await o.until(() => o.crashes.length === 6);
    expect(o.crashes[5]!.restartInMs).toBe(0);
    expect(o.host.running).toBe(true);
  });

  it('readyEndsStreak: only deaths before the ready message count as looping', async () => {
    const o = owner({ restart: { ...POLICY, readyEndsStreak: true } });
    o.host.start();
    for (let i = 1; i <= 3; i++) {
      await o.until(() => o.readyCount === i);
      o.crash();
      await o.until(() => o.crashes.length === i);
      expect(o.crashes[i - 1]!.restartInMs).toBe(0);
    }
  });

  it('kill: a thread that stopped answering is ended as a crash and started again', async () => {
    const o = owner();
    o.host.start();
    await o.host.whenReady();
    o.host.kill();
    await o.until(() => o.crashes.length === 1);
    expect(o.crashes[0]).toMatchObject({ error: null, restartInMs: 0 });
    await o.until(() => o.readyCount === 2);
    expect(o.host.restarts).toBe(1);
  });

  it('a first thread that never gets ready is not restarted when restartIfNeverReady is false', async () => {
    const o = owner({ restartIfNeverReady: false, data: { dieAtStart: true } });
    o.host.start();
    await o.until(() => o.crashes.length === 1);
    expect(o.crashes[0]!.error?.message).toBe('tiny actor cannot start');
    expect(o.crashes[0]!.restartInMs).toBeNull();
    expect(o.host.restarts).toBe(0);
    expect(o.host.running).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(o.generation).toBe(1);
  });

  it('handshake: false makes a thread ready as soon as it is started', async () => {
    const o = owner({ handshake: false, onMessage: () => {} });
    o.host.start();
    expect(o.host.ready).toBe(true);
    await o.host.whenReady();
  });

  it('shutdown: the goodbye is acknowledged, the thread is terminated, no crash is reported and nothing restarts', async () => {
    let acked: () => void = () => {};
    const o = owner({
      onMessage: (m: FromTiny) => { if (m.op === 'ready') o.host.markReady(); else if (m.op === 'bye') acked(); },
      shutdown: {
        graceMs: 60_000,
        begin: () => new Promise<void>((resolve) => {
          acked = resolve;
          o.out.push({ op: 'bye' });
        }),
      },
    });
    o.host.start();
    await o.host.whenReady();
    await o.host.close(); // no timer advanced: the acknowledgement ended the wait
    expect(o.host.running).toBe(false);
    expect(o.host.closed).toBe(true);
    expect(o.crashes).toEqual([]);
    expect(o.host.post([{ op: 'work', id: 1 }])).toBe(false);
    o.host.start();
    expect(o.host.running).toBe(false);
  });

  it('shutdown: a thread that does not acknowledge is terminated after the grace period', async () => {
    const o = owner({ data: { deaf: true }, shutdown: { graceMs: 500, begin: () => { o.out.push({ op: 'bye' }); return undefined; } } });
    o.host.start();
    await o.host.whenReady();
    let closed = false;
    const closing = o.host.close().then(() => { closed = true; });
    await vi.advanceTimersByTimeAsync(499);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(o.host.running).toBe(false);
    expect(o.crashes).toEqual([]);
  });

  it('shutdown during a restart delay cancels the restart', async () => {
    const o = owner();
    o.host.start();
    await o.host.whenReady();
    o.crash();
    await o.until(() => o.crashes.length === 1);
    await o.until(() => o.readyCount === 2);
    o.crash();
    await o.until(() => o.crashes.length === 2);
    expect(o.crashes[1]!.restartInMs).toBe(100);
    await o.host.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(o.host.running).toBe(false);
    expect(o.generation).toBe(2);
  });
});
