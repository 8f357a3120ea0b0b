/** The longest stderr line of a STDIO server kept whole; the rest of a longer one is counted and dropped. */
export const MAX_STDERR_LINE = 64 * 1024;

/**
 * Splits a STDIO server's stderr into lines (LF or CRLF) while holding at most `max` bytes of any
 * one: a server that writes without newlines cannot grow the gateway's memory. A longer line is
 * reported cut at `max` bytes, with a marker, as soon as it reaches it; the rest of it is dropped
 * and, when the line ends, reported as a count.
 */
export class StderrLineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #max: number;
  #held: Buffer[] = [];
  #size = 0;
  /** Bytes dropped of the line being read; -1 while it has not been cut. */
  #dropping = -1;
  /** Most bytes of one line held at once (for tests and the curious). */
  maxHeld = 0;
  /** Bytes dropped from cut lines so far. */
  dropped = 0;

  constructor(onLine: (line: string) => void, max = MAX_STDERR_LINE) {
    this.#onLine = onLine;
    this.#max = max;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      this.#take(chunk.subarray(start, nl === -1 ? chunk.length : nl));
      if (nl === -1) return;
      this.#endLine();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is reported too. */
  end(): void {
    if (this.#size > 0 || this.#dropping >= 0) this.#endLine();
  }

  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#dropping >= 0) {
      this.#dropping += piece.length;
      this.dropped += piece.length;
      return;
    }
    const room = this.#max - this.#size;
    // Copied: a held piece must not keep the stream's whole chunk alive.
    this.#held.push(Buffer.from(piece.subarray(0, Math.min(room, piece.length))));
    this.#size += Math.min(room, piece.length);
    this.maxHeld = Math.max(this.maxHeld, this.#size);
    if (piece.length <= room) return;
    this.#onLine(`${this.#text()} [… line cut by LocalRouter at ${this.#max} bytes; the rest of it is dropped]`);
    this.#dropping = piece.length - room;
    this.dropped += this.#dropping;
    this.#clear();
  }

  #endLine(): void {
    if (this.#dropping >= 0) {
      this.#onLine(`[… LocalRouter dropped ${this.#dropping} more bytes of the cut line]`);
      this.#dropping = -1;
      return;
    }
    this.#onLine(this.#text().replace(/\r$/, ''));
    this.#clear();
  }

  #text(): string {
    return Buffer.concat(this.#held, this.#size).toString('utf8');
  }

  #clear(): void {
    this.#held = [];
    this.#size = 0;
  }
}
