/**
 * Coalesces frames into one `postMessage` per event-loop turn: under load, one message carries many
 * frames, which is what makes the thread hop nearly free (architecture.md, "The worker hop").
 */
export class FrameBatcher<F> {
  #post: (frames: F[]) => void;
  #merge: ((last: F, next: F) => boolean) | null;
  #queue: F[] = [];
  #scheduled = false;
  #flush = (): void => {
    this.#scheduled = false;
    const frames = this.#queue;
    this.#queue = [];
    if (frames.length > 0) this.#post(frames);
  };

  /** `merge` may fold a frame into the last queued one (returning true), e.g. two chunks of one stream. */
  constructor(post: (frames: F[]) => void, merge: ((last: F, next: F) => boolean) | null = null) {
    this.#post = post;
    this.#merge = merge;
  }

  push(frame: F): void {
    const q = this.#queue;
    if (this.#merge !== null && q.length > 0 && this.#merge(q[q.length - 1]!, frame)) return;
    q.push(frame);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Sends what is queued now (before a thread exits, for instance). */
  flushNow(): void {
    this.#flush();
  }
}
