// autocannon ships no types; this covers the programmatic API the load child uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds, fractions allowed. */
    duration?: number;
    /** Per-request timeout in seconds. */
    timeout?: number;
    /** Sampling interval in ms; a run ends on the first tick after `duration`. */
    sampleInt?: number;
  }

  interface Result {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    /** Seconds, rounded to 10 ms. */
    duration: number;
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(opts: Options): Instance;
  export default autocannon;
}
