import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH, LinearRouter, cardPathFor, startClassifier, type Classifier, type ClassifierEvent,
} from '../../src/classifier/index.js';

const started: Classifier[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.close()));
});

async function start(opts: Partial<Parameters<typeof startClassifier>[0]> = {}): Promise<Classifier> {
  const c = await startClassifier({ modelPath: DEFAULT_MODEL_PATH, timeoutMs: 2_000, testHooks: true, ...opts });
  started.push(c);
  return c;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PROMPTS = Array.from({ length: 50 }, (_, i) => `Question ${i}: ${'why is the sky blue and '.repeat(i % 11)}what follows?${i % 3 ? '\nA. yes\nB. no\nAnswer:' : ''}`);

describe('classifier actor', () => {
  it('scores in a worker exactly as the model scores in-process, matching concurrent requests by id', async () => {
    const c = await start();
    const router = LinearRouter.load(DEFAULT_MODEL_PATH);
    const expected = PROMPTS.map((p) => router.score(p));
    const got = await Promise.all([...PROMPTS, ...PROMPTS].map((p) => c.score(p)));
    expect(got).toEqual([...expected, ...expected]);
    expect(c.stats()).toMatchObject({ ready: true, inflight: 0, scored: 100, timeouts: 0, crashes: 0 });
  });

  it('times out on the caller side with LR_ERR_CLASSIFIER, and recovers when the thread does', async () => {
    const events: ClassifierEvent[] = [];
    const c = await start({ timeoutMs: 50, onEvent: (e) => events.push(e) });
    c.testStall(400);
    const t0 = Date.now();
    await expect(c.score('stuck behind a stall')).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER', message: expect.stringMatching(/50 ms/) });
    expect(Date.now() - t0).toBeLessThan(350); // did not wait for the worker
    expect(c.stats().timeouts).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'timeout' }));
    await new Promise((r) => setTimeout(r, 450));
    await expect(c.score('after the stall')).resolves.toBeGreaterThan(0);
    expect(c.stats().restarts).toBe(0);
  });

  it('a crash rejects the pending calls, restarts the thread, and the next call is served', async () => {
    const events: ClassifierEvent[] = [];
    const c = await start({ onEvent: (e) => events.push(e) });
    await c.score('warm');
    c.testCrash();
    const lost = c.score('lost with the thread'); // same batch, after the crash frame
    await expect(lost).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER', message: expect.stringMatching(/crashed/) });
    expect(events).toContainEqual(expect.objectContaining({ type: 'crash', failedRequests: 1 }));
    await expect(c.score('served after the restart')).resolves.toBeGreaterThan(0);
    expect(c.stats()).toMatchObject({ crashes: 1, restarts: 1, ready: true });
  });

  it('terminates and restarts a thread that stops answering altogether', async () => {
    const events: ClassifierEvent[] = [];
    const c = await start({ timeoutMs: 40, stallRestartMs: 150, onEvent: (e) => events.push(e) });
    c.testStall(60_000);
    await expect(c.score('a')).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER' });
    await new Promise((r) => setTimeout(r, 150));
    await expect(c.score('b')).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER' });
    await until(() => events.some((e) => e.type === 'stalled'));
    await until(() => c.stats().ready && c.stats().restarts === 1);
    await expect(c.score('c')).resolves.toBeGreaterThan(0);
  });

  it('refuses to start without a loadable model, with LR_ERR_CLASSIFIER', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    await expect(startClassifier({ modelPath: path.join(dir, 'router-none.bin'), timeoutMs: 50 })).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER' });
    const bad = path.join(dir, 'router-bad.bin');
    fs.writeFileSync(bad, 'not a router file');
    fs.copyFileSync(cardPathFor(DEFAULT_MODEL_PATH), cardPathFor(bad));
    await expect(startClassifier({ modelPath: bad, timeoutMs: 50 })).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER', message: expect.stringMatching(/cannot load/) });
  });

  it('after close, pending and new calls reject', async () => {
    const c = await start();
    c.testStall(300);
    const pending = c.score('in flight').then(() => null, (err: unknown) => err);
    await c.close();
    expect(await pending).toMatchObject({ code: 'LR_ERR_CLASSIFIER' });
    await expect(c.score('late')).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER', message: expect.stringMatching(/closed/) });
  });

  it('test hooks stay off unless asked for', async () => {
    const c = await start({ testHooks: false });
    expect(() => c.testCrash()).toThrow(/disabled/);
  });
});
