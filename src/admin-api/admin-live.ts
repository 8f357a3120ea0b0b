import type { HttpResponse } from 'uWebSockets.js';
import type { Monitoring, SeriesBucket } from '../metrics/index.js';
import { statusLine, type HeaderPairs } from '../ingress/index.js';

interface Subscriber {
  res: HttpResponse;
  /** uWS buffered the last frame: skip frames until it drains. */
  congested: boolean;
  dropped: number;
  closed: boolean;
  inflight: () => number;
}

/** A frame of the live feed: the last complete second. */
export interface LiveFrame {
  /** Start of the second, epoch ms. */
  t: number;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  latency_ms: { p50: number; p99: number };
  ttft_ms: { p50: number; p99: number };
  inflight: number;
  /** Frames this subscriber missed because it read too slowly. */
  dropped: number;
  /** MCP calls waiting for approval now (`GET /api/approvals` lists them). */
  approvals: number;
  by_client: Record<string, { requests: number; errors: number }>;
  by_provider: Record<string, { requests: number; errors: number }>;
  by_model: Record<string, { requests: number; errors: number }>;
}

const ms = (us: number): number => Math.round(us) / 1000;

/**
 * `GET /api/stats/live`: server-sent events, one `data:` frame per second with the aggregate of the
 * last complete second. Each write is corked; a subscriber whose socket is not draining (uWS
 * reports backpressure) gets no further frames until it drains: frames are dropped and counted,
 * never queued, so a slow dashboard cannot grow the gateway's memory.
 */
export class LiveFeed {
  readonly #monitoring: Monitoring;
  readonly #now: () => number;
  readonly #subs = new Set<Subscriber>();
  /** Calls waiting for approval now (set by the gateway once its MCP side exists). */
  approvals: () => number = () => 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(monitoring: Monitoring, now: () => number = Date.now) {
    this.#monitoring = monitoring;
    this.#now = now;
  }

  get subscribers(): number {
    return this.#subs.size;
  }

  subscribe(res: HttpResponse, cors: HeaderPairs, inflight: () => number): void {
    const sub: Subscriber = { res, congested: false, dropped: 0, closed: false, inflight };
    res.onAborted(() => {
      sub.closed = true;
      this.#subs.delete(sub);
      this.#stopIfIdle();
    });
    res.cork(() => {
      res.writeStatus(statusLine(200));
      res.writeHeader('content-type', 'text/event-stream; charset=utf-8');
      res.writeHeader('cache-control', 'no-cache');
      res.writeHeader('x-accel-buffering', 'no');
      for (const [k, v] of cors) res.writeHeader(k, v);
      res.write('retry: 2000\n\n');
    });
    this.#subs.add(sub);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.tick(), 1000);
      this.#timer.unref();
    }
  }

  /** Sends the last complete second to every subscriber (the timer calls this each second). */
  tick(): void {
    if (this.#subs.size === 0) return;
    this.#monitoring.aggregator.drainNow();
    const now = this.#now();
    const t = now - (now % 1000) - 1000;
    const frame = this.frame(t);
    for (const sub of this.#subs) this.#send(sub, frame);
  }

  /** The aggregate of the second starting at `t` (without the per-subscriber fields filled). */
  frame(t: number): LiveFrame {
    const frame: LiveFrame = {
      t, requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0,
      latency_ms: { p50: 0, p99: 0 }, ttft_ms: { p50: 0, p99: 0 }, inflight: 0, dropped: 0, approvals: this.approvals(),
      by_client: {}, by_provider: {}, by_model: {},
    };
    for (const { dimension, key, bucket } of this.#monitoring.series.second(t)) {
      if (dimension === 'all') fillTotals(frame, bucket);
      else if (dimension === 'client') frame.by_client[key] = { requests: bucket.requests, errors: bucket.errors };
      else if (dimension === 'provider') frame.by_provider[key] = { requests: bucket.requests, errors: bucket.errors };
      else if (dimension === 'model') frame.by_model[key] = { requests: bucket.requests, errors: bucket.errors };
    }
    return frame;
  }

  /** Ends every subscription (gateway shutdown). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const sub of this.#subs) {
      if (!sub.closed) {
        sub.closed = true;
        sub.res.cork(() => sub.res.end());
      }
    }
    this.#subs.clear();
  }

  #send(sub: Subscriber, frame: LiveFrame): void {
    if (sub.closed) return;
    if (sub.congested) {
      sub.dropped++;
      return;
    }
    frame.inflight = sub.inflight();
    frame.dropped = sub.dropped;
    const text = `data: ${JSON.stringify(frame)}\n\n`;
    let ok = true;
    sub.res.cork(() => { ok = sub.res.write(text); });
    if (!ok) {
      sub.congested = true;
      sub.res.onWritable(() => {
        sub.congested = false;
        return true;
      });
    }
  }

  #stopIfIdle(): void {
    if (this.#subs.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

function fillTotals(frame: LiveFrame, b: SeriesBucket): void {
  frame.requests = b.requests;
  frame.errors = b.errors;
  frame.prompt_tokens = b.promptTokens;
  frame.completion_tokens = b.completionTokens;
  frame.cost_usd = b.costNano / 1e9;
  frame.latency_ms = { p50: ms(b.latency.percentile(50)), p99: ms(b.latency.percentile(99)) };
  frame.ttft_ms = { p50: ms(b.ttft.percentile(50)), p99: ms(b.ttft.percentile(99)) };
}
