/**
 * The load generator, forked by the orchestrator so its CPU never counts against (or competes in
 * the same event loop with) what the orchestrator samples. It runs one job at a time over IPC;
 * before each measured part it sends `mark` and waits for `go`, so the orchestrator's "before"
 * CPU sample is taken with no load in flight.
 */
import autocannon from 'autocannon';
import { Client, Pool } from 'undici';
import type { AutocannonResult, FromChild, LoadJob, SequentialResult, StreamsResult, ToChild } from './load-protocol.js';
import { SseCheck } from './sse-check.js';
import { Samples } from './stats.js';

const send = (msg: FromChild): void => {
  process.send?.(msg);
};
const waiting = new Map<number, () => void>();

function mark(id: number): Promise<void> {
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    send({ type: 'mark', id });
  });
}

const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

async function runAutocannon(id: number, job: Extract<LoadJob, { kind: 'autocannon' }>): Promise<AutocannonResult> {
  const base = {
    url: job.target.origin + job.target.path,
    method: 'POST',
    headers: job.target.headers,
    body: job.target.body,
    connections: job.connections,
    pipelining: 1,
    timeout: job.timeoutS,
    // autocannon only checks for the end of a run on each sample tick (default 1 s), which would
    // round every duration up to whole seconds.
    sampleInt: 100,
  };
  if (job.warmupS > 0) await autocannon({ ...base, duration: job.warmupS });
  await mark(id);
  const latency = new Samples();
  const instance = autocannon({ ...base, duration: job.durationS });
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
    if (status >= 200 && status < 300) latency.push(responseTimeMs);
  });
  const r = await instance;
  return {
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration,
    rps: r.duration > 0 ? r['2xx'] / r.duration : 0,
    latencyMs: latency.summary(),
  };
}

async function runSequential(id: number, job: Extract<LoadJob, { kind: 'sequential' }>): Promise<SequentialResult> {
  const client = new Client(job.target.origin, { pipelining: 1 });
  const total = new Samples();
  const ttft = new Samples();
  let ok = 0;
  let failures = 0;
  let firstProblem: string | null = null;
  try {
    for (let i = 0; i < job.warmup + job.count; i++) {
      if (i === job.warmup) await mark(id);
      let firstAt = 0n;
      const t0 = process.hrtime.bigint();
      let problem: string | null = null;
      try {
        const { statusCode, body } = await client.request({
          path: job.target.path, method: 'POST', headers: job.target.headers, body: job.target.body,
        });
        if (statusCode !== 200) {
          problem = `status ${statusCode}: ${(await body.text()).slice(0, 200)}`;
        } else if (job.stream) {
          const check = new SseCheck(job.deltas, job.expectUsage, () => {
            firstAt = process.hrtime.bigint();
          });
          body.setEncoding('utf8');
          for await (const text of body) check.feed(text as string);
          problem = check.verdict().problem;
        } else {
          await body.text();
        }
      } catch (err) {
        problem = `request failed: ${(err as Error).message}`;
      }
      const t1 = process.hrtime.bigint();
      if (i < job.warmup) continue;
      if (problem !== null) {
        failures++;
        firstProblem ??= problem;
        continue;
      }
      ok++;
      total.push(ms(t0, t1));
      if (job.stream) ttft.push(ms(t0, firstAt));
    }
  } finally {
    await client.close();
  }
  return { ok, failures, firstProblem, latencyMs: total.summary(), ttftMs: job.stream ? ttft.summary() : null };
}

async function runStreams(id: number, job: Extract<LoadJob, { kind: 'streams' }>): Promise<StreamsResult> {
  const pool = new Pool(job.target.origin, {
    connections: job.count,
    pipelining: 1,
    headersTimeout: job.timeoutS * 1000,
    bodyTimeout: job.timeoutS * 1000,
  });
  let open = 0;
  let peakOpen = 0;
  const problems: Record<string, number> = {};
  await mark(id);
  const t0 = process.hrtime.bigint();
  const one = async (): Promise<boolean> => {
    const check = new SseCheck(job.deltas, job.expectUsage);
    let problem: string | null;
    let counted = false;
    try {
      const { statusCode, body } = await pool.request({
        path: job.target.path, method: 'POST', headers: job.target.headers, body: job.target.body,
      });
      open++;
      counted = true;
      if (open > peakOpen) {
        peakOpen = open;
        if (peakOpen === job.count) send({ type: 'progress', id, open });
      }
      if (statusCode !== 200) {
        problem = `status ${statusCode}: ${(await body.text()).slice(0, 160)}`;
      } else {
        body.setEncoding('utf8');
        for await (const text of body) check.feed(text as string);
        problem = check.verdict().problem;
      }
    } catch (err) {
      problem = `request failed: ${(err as Error).message}`;
    }
    if (counted) open--;
    if (problem !== null) {
      // Group by the kind of problem, not the exact delta index, so the report stays short.
      const key = problem.replace(/\d+/g, 'N').slice(0, 160);
      problems[key] = (problems[key] ?? 0) + 1;
      return false;
    }
    return true;
  };
  const verdicts = await Promise.all(Array.from({ length: job.count }, one));
  const wallMs = ms(t0, process.hrtime.bigint());
  await pool.close();
  const ok = verdicts.filter(Boolean).length;
  return { count: job.count, ok, failed: job.count - ok, problems, peakOpen, wallMs };
}

async function run(id: number, job: LoadJob): Promise<void> {
  try {
    const result =
      job.kind === 'autocannon' ? await runAutocannon(id, job)
        : job.kind === 'sequential' ? await runSequential(id, job)
          : await runStreams(id, job);
    send({ type: 'result', id, result });
  } catch (err) {
    send({ type: 'error', id, message: (err as Error).stack ?? String(err) });
  }
}

process.on('message', (msg: ToChild) => {
  if (msg.type === 'go') {
    waiting.get(msg.id)?.();
    waiting.delete(msg.id);
  } else if (msg.type === 'job') {
    void run(msg.id, msg.job);
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
