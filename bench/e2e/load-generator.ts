import path from 'node:path';
import type { FromChild, LoadJob, LoadResult, ToChild } from './load-protocol.js';
import { type Child, type ChildSet, processCpuMicros, processRssBytes } from './processes.js';

/** What the orchestrator observed around one job. */
export interface Measured<R extends LoadResult> {
  result: R;
  /** pid → CPU µs (user + system, all threads) spent between `mark` and the result. */
  cpuMicros: Record<number, number>;
  /** pid → highest RSS sampled during the measured part (only for `rssPids`). */
  rssPeakBytes: Record<number, number>;
  /** pid → RSS sampled when the child reported every stream open (streams jobs only). */
  rssAllOpenBytes: Record<number, number>;
}

export interface MeasureOptions {
  cpuPids?: number[];
  rssPids?: number[];
  rssEveryMs?: number;
}

interface Pending {
  opts: MeasureOptions;
  cpuBefore: Record<number, number>;
  rssPeak: Record<number, number>;
  rssAllOpen: Record<number, number>;
  rssTimer: NodeJS.Timeout | undefined;
  resolve: (m: Measured<LoadResult>) => void;
  reject: (err: Error) => void;
}

function sampleRss(pids: number[], into: Record<number, number>): void {
  for (const pid of pids) {
    try {
      into[pid] = Math.max(into[pid] ?? 0, processRssBytes(pid));
    } catch {
      // the process is gone; the job itself will report the failures
    }
  }
}

/** Parent side of the load child: sends jobs, samples the measured processes around them. */
export class LoadGenerator {
  #child: Child;
  #next = 1;
  #pending = new Map<number, Pending>();

  private constructor(child: Child) {
    this.#child = child;
    child.proc.on('message', (msg: FromChild) => this.#onMessage(msg));
    child.proc.once('exit', (code, signal) => {
      const err = new Error(`load generator exited (${signal ?? `code ${code}`})\n${child.tail()}`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
  }

  static async start(children: ChildSet, benchDir: string): Promise<LoadGenerator> {
    const child = children.forkTs('load-generator', path.join(benchDir, 'e2e', 'load-child.ts'), path.dirname(benchDir));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator did not start\n${child.tail()}`)), 20_000);
      child.proc.once('message', (msg: FromChild) => {
        clearTimeout(timer);
        if (msg.type === 'ready') resolve();
        else reject(new Error(`load generator: unexpected first message ${JSON.stringify(msg)}`));
      });
      child.proc.once('exit', () => reject(new Error(`load generator exited during start\n${child.tail()}`)));
    });
    return new LoadGenerator(child);
  }

  run<R extends LoadResult>(job: LoadJob, opts: MeasureOptions = {}): Promise<Measured<R>> {
    const id = this.#next++;
    return new Promise<Measured<R>>((resolve, reject) => {
      this.#pending.set(id, {
        opts,
        cpuBefore: {},
        rssPeak: {},
        rssAllOpen: {},
        rssTimer: undefined,
        resolve: resolve as (m: Measured<LoadResult>) => void,
        reject,
      });
      this.#send({ type: 'job', id, job });
    });
  }

  #send(msg: ToChild): void {
    this.#child.proc.send(msg);
  }

  #onMessage(msg: FromChild): void {
    if (msg.type === 'ready') return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    const cpuPids = p.opts.cpuPids ?? [];
    const rssPids = p.opts.rssPids ?? [];
    switch (msg.type) {
      case 'mark':
        for (const pid of cpuPids) {
          try {
            p.cpuBefore[pid] = processCpuMicros(pid);
          } catch {
            p.cpuBefore[pid] = Number.NaN; // gone already; reported when the result arrives
          }
        }
        if (rssPids.length > 0) {
          sampleRss(rssPids, p.rssPeak);
          p.rssTimer = setInterval(() => sampleRss(rssPids, p.rssPeak), p.opts.rssEveryMs ?? 25);
        }
        this.#send({ type: 'go', id: msg.id });
        break;
      case 'progress':
        sampleRss(rssPids, p.rssAllOpen);
        sampleRss(rssPids, p.rssPeak);
        break;
      case 'result': {
        // Sample before anything else so trailing idle time is not attributed to the run.
        const cpuMicros: Record<number, number> = {};
        let gone: string | null = null;
        for (const pid of cpuPids) {
          try {
            cpuMicros[pid] = processCpuMicros(pid) - (p.cpuBefore[pid] ?? Number.NaN);
          } catch {
            gone = `measured process ${pid} exited during the run`;
          }
        }
        if (p.rssTimer) clearInterval(p.rssTimer);
        sampleRss(rssPids, p.rssPeak);
        this.#pending.delete(msg.id);
        if (gone) p.reject(new Error(gone));
        else p.resolve({ result: msg.result, cpuMicros, rssPeakBytes: p.rssPeak, rssAllOpenBytes: p.rssAllOpen });
        break;
      }
      case 'error':
        if (p.rssTimer) clearInterval(p.rssTimer);
        this.#pending.delete(msg.id);
        p.reject(new Error(`load job failed: ${msg.message}`));
        break;
    }
  }
}
