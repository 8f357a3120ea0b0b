/**
 * Coalesces frames into one `postMessage` per event-loop turn: under load, one message carries many
 * frames, which is what makes the thread hop nearly free (architecture.md, "The worker hop").
 */
export class FrameBatcher<F> {
  #post: (frames: F[]) => void;
  #queue: F[] = [];
  #scheduled = false;
  #flush = (): void => {
    this.#scheduled = false;
    const frames = this.#queue;
    this.#queue = [];
    if (frames.length > 0) this.#post(frames);
  };

  constructor(post: (frames: F[]) => void) {
    this.#post = post;
  }

  push(frame: F): void {
    this.#queue.push(frame);
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
