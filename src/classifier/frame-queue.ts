/**
 * Coalesces frames into one `postMessage` per event-loop turn, as the provider actors do
 * (architecture.md, "The worker hop"): under load one message carries many score requests.
 */
export class FrameQueue<F> {
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
}
