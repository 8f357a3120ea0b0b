/**
 * Coalesces frames into one `postMessage` per event-loop turn: under load, one message carries many
 * frames, which is what makes the thread hop nearly free (architecture.md, "The worker hop").
 */
export class FrameBatcher<F> {
  #post: (frames: F[]) => void;
  #merge: ((last: F, next: F) => boolean) | null;
  #onPostError: ((frame: F, err: unknown) => void) | null;
  #queue: F[] = [];
  #scheduled = false;
  #held = false;
  #flush = (): void => {
    this.#scheduled = false;
    if (this.#held) return;
    const frames = this.#queue;
    this.#queue = [];
    if (frames.length > 0) this.#send(frames);
  };

  /**
   * `merge` may fold a frame into the last queued one (returning true), e.g. two chunks of one stream.
   * `onPostError`, when given, receives each frame `post` cannot send (structured clone failed: too
   * deep, not cloneable) instead of an exception thrown out of the flush; the other frames of the
   * batch are still sent, in order.
   */
  constructor(post: (frames: F[]) => void, merge: ((last: F, next: F) => boolean) | null = null, onPostError: ((frame: F, err: unknown) => void) | null = null) {
    this.#post = post;
    this.#merge = merge;
    this.#onPostError = onPostError;
  }

  #send(frames: F[]): void {
    const onError = this.#onPostError;
    if (onError === null) return this.#post(frames);
    try {
      this.#post(frames);
    } catch {
      // Nothing of a batch is sent when one frame fails to clone: send them one by one to find it.
      for (const frame of frames) {
        try {
          this.#post([frame]);
        } catch (err) {
          onError(frame, err);
        }
      }
    }
  }

  /**
   * Queues a frame for the next flush. `soon`: when this frame starts a batch, the batch goes as soon
   * as the current task (a socket read, a request callback) ends instead of at the end of the turn.
   * Callers ask for it when the thread on the other side is idle: then nothing else is coming to
   * share the message with, and the turn's end can be a poll phase away (measured ~0.1 ms per hop).
   */
  push(frame: F, soon = false): void {
    const q = this.#queue;
    if (this.#merge !== null && q.length > 0 && this.#merge(q[q.length - 1]!, frame)) return;
    q.push(frame);
    if (!this.#scheduled && !this.#held) {
      this.#scheduled = true;
      if (soon) queueMicrotask(this.#flush);
      else setImmediate(this.#flush);
    }
  }

  /** Sends what is queued now (before a thread exits, for instance). */
  flushNow(): void {
    this.#flush();
  }

  /** Keeps frames queued, in order, while there is no thread to post them to (it died, or is not started yet). */
  hold(): void {
    this.#held = true;
  }

  /** A thread is there again: what was held goes to it now, as one batch; then batching per turn resumes. */
  release(): void {
    this.#held = false;
    this.#flush();
  }
}
