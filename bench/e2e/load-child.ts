/**
 * The load generator, forked by the orchestrator so its CPU never counts against (or competes in
 * the same event loop with) what the orchestrator samples. It runs one job at a time over IPC;
 * before each measured part it sends `mark` and waits for `go`, so the orchestrator's "before"
 * CPU sample is taken with no load in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Client, Pool } from 'undici';
import type {
  AutocannonResult, BurstResult, Dialect, FromChild, InterleavedResult, LoadJob, SequentialResult, StreamsResult, ToChild, UsageTotals,
} from './load-protocol.js';
import { AnthropicSseCheck } from './sse-check-anthropic.js';
import { SseCheck, type StreamChecker, type UsageSeen, openAIUsage } from './sse-check.js';
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

function checker(job: Pick<SequentialJob, 'dialect' | 'deltas' | 'expectUsage'>, onFirst: () => void): StreamChecker {
  return job.dialect === 'anthropic' ? new AnthropicSseCheck(job.deltas, onFirst) : new SseCheck(job.deltas, job.expectUsage, onFirst);
}

/** Usage of a non-streamed answer, in either dialect. */
function bodyUsage(dialect: Dialect | undefined, text: string): UsageSeen | null {
  const u = (JSON.parse(text) as { usage?: Record<string, unknown> }).usage;
  if (dialect !== 'anthropic') return openAIUsage(u);
  if (!u || typeof u.input_tokens !== 'number' || typeof u.output_tokens !== 'number') return null;
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { prompt: u.input_tokens + n(u.cache_read_input_tokens) + n(u.cache_creation_input_tokens), completion: u.output_tokens, cost: null };
}

type SequentialJob = Extract<LoadJob, { kind: 'sequential' }>;

/** The requests of a `sequential` job against one target, sent one at a time with `step`, and the result so far. */
class SequentialRun {
  readonly #job: SequentialJob;
  readonly #client: Client;
  readonly #total = new Samples();
  readonly #ttft = new Samples();
  readonly #usage: UsageTotals | null;
  readonly #refused: boolean;
  readonly #status: number;
  #ok = 0;
  #failures = 0;
  #firstProblem: string | null = null;

  constructor(job: SequentialJob) {
    this.#job = job;
    this.#client = new Client(job.target.origin, { pipelining: 1 });
    this.#usage = job.collectUsage ? { answers: 0, prompt: 0, completion: 0, cost: 0, costAnswers: 0 } : null;
    this.#refused = job.expect === 'refused';
    this.#status = job.expect === undefined || job.expect === 'refused' ? 200 : job.expect.status;
  }

  /** One request; counted unless `measured` is false (warmup). */
  async step(measured: boolean): Promise<void> {
    const job = this.#job;
    const refused = this.#refused;
    const status = this.#status;
    let firstAt = 0n;
    let seen: UsageSeen | null = null;
    const t0 = process.hrtime.bigint();
    let problem: string | null = null;
    try {
      const { statusCode, body } = await this.#client.request({
        path: job.target.path, method: 'POST', headers: job.target.headers, body: job.target.body,
      });
      if (refused) {
        problem = `expected a refused connection, got status ${statusCode}`;
        await body.dump();
      } else if (statusCode !== status) {
        problem = `status ${statusCode} (expected ${status}): ${(await body.text()).slice(0, 200)}`;
      } else if (status !== 200) {
        await body.text();
      } else if (job.stream) {
        const check = checker(job, () => {
          firstAt = process.hrtime.bigint();
        });
        body.setEncoding('utf8');
        for await (const text of body) check.feed(text as string);
        problem = check.verdict().problem;
        seen = check.usageSeen;
      } else {
        const text = await body.text();
        if (this.#usage) seen = bodyUsage(job.dialect, text);
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!refused || code !== 'ECONNREFUSED') problem = `request failed: ${code ?? ''} ${(err as Error).message}`;
    }
    const t1 = process.hrtime.bigint();
    if (!measured) return;
    const usage = this.#usage;
    if (problem === null && usage && status === 200 && !refused) {
      if (seen === null) problem = 'answer without usage';
      else {
        usage.answers++;
        usage.prompt += seen.prompt;
        usage.completion += seen.completion;
        if (seen.cost !== null) {
          usage.cost += seen.cost;
          usage.costAnswers++;
        }
      }
    }
    if (problem !== null) {
      this.#failures++;
      this.#firstProblem ??= problem;
      return;
    }
    this.#ok++;
    this.#total.push(ms(t0, t1));
    if (job.stream && status === 200 && !refused) this.#ttft.push(ms(t0, firstAt));
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  result(): SequentialResult {
    const job = this.#job;
    return {
      ok: this.#ok, failures: this.#failures, firstProblem: this.#firstProblem, latencyMs: this.#total.summary(),
      ttftMs: job.stream && !this.#refused && this.#status === 200 ? this.#ttft.summary() : null, usage: this.#usage,
    };
  }
}

async function runSequential(id: number, job: SequentialJob): Promise<SequentialResult> {
  const run = new SequentialRun(job);
  try {
    for (let i = 0; i < job.warmup + job.count; i++) {
      if (i === job.warmup) await mark(id);
      await run.step(i >= job.warmup);
    }
  } finally {
    await run.close();
  }
  return run.result();
}

async function runInterleaved(id: number, job: Extract<LoadJob, { kind: 'interleaved' }>): Promise<InterleavedResult> {
  const runs = job.targets.map((target) => new SequentialRun({
    kind: 'sequential', target, count: job.count, warmup: job.warmup, stream: job.stream, deltas: job.deltas, expectUsage: job.expectUsage,
  }));
  const n = runs.length;
  try {
    for (let i = 0; i < job.warmup + job.count; i++) {
      if (i === job.warmup) await mark(id);
      // Each target goes first as often as the others: a target right after another may find the
      // machine busy with what the other left behind (a flush, a GC).
      for (let k = 0; k < n; k++) await runs[(i + k) % n]!.step(i >= job.warmup);
    }
  } finally {
    await Promise.all(runs.map((r) => r.close()));
  }
  return { perTarget: runs.map((r) => r.result()) };
}

async function runBurst(id: number, job: Extract<LoadJob, { kind: 'burst' }>): Promise<BurstResult> {
  const pool = new Pool(job.target.origin, {
    connections: job.concurrency, pipelining: 1, headersTimeout: job.timeoutS * 1000, bodyTimeout: job.timeoutS * 1000,
  });
  // Open every connection first, so the burst measures the limiter, not connection set-up.
  await Promise.all(Array.from({ length: job.concurrency }, () => pool.request({ path: '/health', method: 'GET' }).then((r) => r.body.dump(), () => {})));
  const warm = async (count: number): Promise<void> => {
    let left = count;
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        const { body } = await pool.request({ path: job.target.path, method: 'POST', headers: job.target.headers, body: job.target.body });
        await body.dump();
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
  };
  if (job.warmup) await warm(job.warmup);
  const statuses: Record<string, number> = {};
  const latency = new Samples();
  let missingRetryAfter = 0;
  let firstProblem: string | null = null;
  let issued = 0;
  await mark(id);
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (issued < job.total) {
      issued++;
      try {
        const sent = process.hrtime.bigint();
        const { statusCode, headers, body } = await pool.request({
          path: job.target.path, method: 'POST', headers: job.target.headers, body: job.target.body,
        });
        const text = await body.text();
        latency.push(ms(sent, process.hrtime.bigint()));
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
        if (statusCode === 429 && headers['retry-after'] === undefined) missingRetryAfter++;
        if (statusCode !== 200 && statusCode !== 429) firstProblem ??= `status ${statusCode}: ${text.slice(0, 200)}`;
      } catch (err) {
        statuses.error = (statuses.error ?? 0) + 1;
        firstProblem ??= `request failed: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const wallMs = ms(t0, process.hrtime.bigint());
  await pool.close();
  return { statuses, missingRetryAfter, firstProblem, wallMs, latencyMs: latency.summary() };
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
  const gap = (job.rampMs ?? 0) / job.count;
  const verdicts = await Promise.all(Array.from({ length: job.count }, (_, i) => (gap > 0 ? sleep(i * gap).then(one) : one())));
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
          : job.kind === 'interleaved' ? await runInterleaved(id, job)
          : job.kind === 'burst' ? await runBurst(id, job)
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
