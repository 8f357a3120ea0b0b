/**
 * Memory for large request bodies, lent to one request at a time and taken back once nothing can
 * read it any more.
 *
 * Why: a body of 8 KB or more (a coding agent's request carries 10–20 KB of tool definitions from
 * its first turn) used to get fresh memory that then went to the upstream socket. At one 200 KB
 * request at a time that made V8 run a full mark-compact about every 50 requests (every 80 ms;
 * `--trace-gc`), a few milliseconds of marking each on the main thread and more on its helpers;
 * with the same memory reused there was one in the whole run, and the gateway spent about half the
 * CPU per request; at 20 KB, a fifth to a third less (see the README's benchmark notes).
 *
 * Safety is the whole design: memory lent again while an earlier request can still read it would
 * hand one client's prompt to another request's upstream. A loan comes back only when both of these
 * hold, and is otherwise simply left to the garbage collector:
 * - the request side said so (`giveBack`): its exchange ended through the engine's own last
 *   callback, with no client abort or shutdown in between (an aborted call may still be queued);
 * - no socket write of it is pending: every upstream socket's `write` is watched
 *   (`watchBodyWrites`), and a write of lent memory counts until its callback, which Node calls
 *   once the kernel has the bytes or the write failed and the socket let go of them.
 * Memory that crossed to a provider actor with its call (transferred, so detached here) is the
 * actor's, under the same two rules, until it sends it back (`adoptBody`, `acceptBody`). The skim's
 * lazy readers refuse a body that was given back (`assertNotGivenBack`) instead of reading another
 * request's bytes.
 */

/** One lent region: the memory and what still holds it. */
interface Loan {
  readonly memory: ArrayBuffer;
  /** Socket writes of this memory whose callbacks have not run yet. */
  writes: number;
  /** The request still holds it (not given back yet). */
  held: boolean;
  /** Memory another thread lent (see `adoptBody`): where it goes once free, instead of this thread's list. */
  home: ((memory: ArrayBuffer) => void) | null;
}

/** The smallest body lent from the pool (smaller ones come from Node's shared pool). */
export const POOLED_BODY_MIN_BYTES = 8 * 1024;
/**
 * Lent regions are sized in steps (4 KB up to 64 KB, 64 KB above), so a conversation whose body
 * grows a little each turn reuses the same memory.
 */
function regionSize(bytes: number): number {
  const step = bytes <= 64 * 1024 ? 4 * 1024 : 64 * 1024;
  return Math.ceil(bytes / step) * step;
}

/**
 * Free regions kept (many agents' 20 KB bodies in flight at once come back as many), and their
 * total size: more is left to the garbage collector.
 */
const MAX_FREE = 64;
const MAX_FREE_BYTES = 64 * 1024 * 1024;
/** Free memory is dropped after this long without a loan, so an idle gateway holds none. */
const IDLE_DROP_MS = 15_000;

const loans = new WeakMap<ArrayBufferLike, Loan>();
const free: ArrayBuffer[] = [];
let freeBytes = 0;
let lastTake = 0;
let idleTimer: NodeJS.Timeout | null = null;
/** Bodies given back: reading them is a bug. */
const givenBack = new WeakSet<Uint8Array>();

/**
 * A buffer of `bytes` for a request body, lent from the pool: its memory extends past `bytes` (the
 * splice room the LLM path uses). Give it back with `giveBack` once the request is over.
 */
export function takeBody(bytes: number): Buffer {
  lastTake = Date.now();
  const memory = takeFree(bytes) ?? new ArrayBuffer(regionSize(bytes));
  let loan = loans.get(memory);
  if (loan === undefined) {
    loan = { memory, writes: 0, held: true, home: null };
    loans.set(memory, loan);
  }
  loan.held = true;
  return Buffer.from(memory, 0, bytes);
}

/** The smallest free region that fits `bytes` without wasting more than half of it. */
function takeFree(bytes: number): ArrayBuffer | null {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i]!.byteLength;
    if (size >= bytes && size <= bytes * 2 && (best < 0 || size < free[best]!.byteLength)) best = i;
  }
  if (best < 0) return null;
  const memory = free[best]!;
  free[best] = free[free.length - 1]!;
  free.pop();
  freeBytes -= memory.byteLength;
  return memory;
}

/**
 * The request that took `body` (or any view of its memory) is done with it: it comes back to the
 * pool once its socket writes have finished. `body` is marked so a late reader fails instead of
 * reading the next request's bytes. Memory that is not lent is left alone.
 */
export function giveBack(body: Uint8Array): void {
  const loan = loans.get(body.buffer);
  if (loan === undefined || !loan.held) return;
  loan.held = false;
  givenBack.add(body);
  settle(loan);
}

/** Throws when `view` was given back: the caller holds a body past its request. */
export function assertNotGivenBack(view: Uint8Array): void {
  if (givenBack.has(view)) throw new Error('a request body was read after its request ended');
}

function settle(loan: Loan): void {
  if (loan.held || loan.writes > 0) return;
  // Transferred to an actor: the memory is the actor's now.
  if (loan.memory.byteLength === 0) {
    loans.delete(loan.memory);
    return;
  }
  if (loan.home !== null) {
    loans.delete(loan.memory);
    loan.home(loan.memory);
    return;
  }
  keepFree(loan.memory);
}

/** `memory` joins the free list, when there is room. */
function keepFree(memory: ArrayBuffer): void {
  const loan = loans.get(memory);
  if (free.length >= MAX_FREE || freeBytes + memory.byteLength > MAX_FREE_BYTES) {
    if (loan !== undefined) loans.delete(memory);
    return;
  }
  free.push(memory);
  freeBytes += memory.byteLength;
  idleTimer ??= setTimeout(dropWhenIdle, IDLE_DROP_MS).unref();
}

/**
 * A provider actor's side of the memory a body came in with its call (the ingress's lent memory,
 * transferred, or the actor's own copy when it was cloned): its socket writes are counted like the
 * ingress's own, and once the call is over (`giveBack`) and they have finished, `home` gets the
 * memory to send to the ingress's pool. False when `body` is not a whole region of 8 KB or more.
 */
export function adoptBody(body: Uint8Array, home: (memory: ArrayBuffer) => void): boolean {
  const memory = body.buffer;
  if (!(memory instanceof ArrayBuffer) || body.byteOffset !== 0 || memory.byteLength < POOLED_BODY_MIN_BYTES || loans.has(memory)) return false;
  loans.set(memory, { memory, writes: 0, held: true, home });
  return true;
}

/** Memory an actor sent back (see `adoptBody`): lent again from this thread's pool. */
export function acceptBody(memory: ArrayBuffer): void {
  if (memory.byteLength >= POOLED_BODY_MIN_BYTES && !loans.has(memory)) keepFree(memory);
}

function dropWhenIdle(): void {
  idleTimer = null;
  if (free.length === 0) return;
  if (Date.now() - lastTake >= IDLE_DROP_MS) return dropFreeBodies();
  idleTimer = setTimeout(dropWhenIdle, IDLE_DROP_MS).unref();
}

/** Lets go of every free region (memory still lent stays with its request). */
export function dropFreeBodies(): void {
  for (const memory of free) loans.delete(memory);
  free.length = 0;
  freeBytes = 0;
}

type WriteCallback = (err?: Error | null) => void;
interface WritableSocket {
  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean;
}

/**
 * Counts every write of lent memory on `socket` until its callback runs (see the module's note).
 * Called on each upstream connection when it opens; other writes pass through untouched.
 */
export function watchBodyWrites(socket: WritableSocket): void {
  const write = socket.write;
  socket.write = function watchedWrite(this: WritableSocket, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const loan = chunk instanceof Uint8Array ? loans.get(chunk.buffer) : undefined;
    if (loan === undefined) return write.call(this, chunk, encoding, cb);
    const done = (typeof encoding === 'function' ? encoding : cb) as WriteCallback | undefined;
    const enc = typeof encoding === 'function' ? undefined : encoding;
    loan.writes++;
    let counted = true;
    const finished: WriteCallback = (err) => {
      if (counted) {
        counted = false;
        loan.writes--;
        settle(loan);
      }
      done?.(err);
    };
    return write.call(this, chunk, enc, finished);
  };
}

/** What the pool holds now (for tests). */
export function bodyPoolStats(): { free: number; freeBytes: number } {
  return { free: free.length, freeBytes };
}
