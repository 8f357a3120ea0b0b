/**
 * The objects in flight (requests, calls) on a hot path that adds and deletes one per request.
 * `add` gives the member's slot, which its owner keeps and hands back to `delete`; members sit in an
 * array whose slots are cleared on delete and reused, so a finished member is referenced from
 * nowhere and an idle set holds nothing.
 *
 * Why not a `Set`: churned once per request at thousands of requests a second, a `Set` of the
 * provider engine's runs made V8's young-generation collections keep finished requests' objects
 * alive until they were promoted (0.85–0.92 MB promoted per scavenge at 8 calls in flight, against
 * 0.04 MB with an array in its place, same load); the old generation then filled and full
 * collections came every second. `bench/micro/providers/inflight-gc.ts` measures it.
 */
export class LiveSet<T extends object> implements Iterable<T> {
  #items: (T | undefined)[] = [];
  #free: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `item` and returns its slot (for {@link delete}). */
  add(item: T): number {
    const slot = this.#free.pop() ?? this.#items.length;
    this.#items[slot] = item;
    this.#size++;
    return slot;
  }

  /** Removes `item` from `slot`; false (and nothing changes) when that slot does not hold it. */
  delete(slot: number, item: T): boolean {
    if (slot < 0 || slot >= this.#items.length || this.#items[slot] !== item) return false;
    this.#items[slot] = undefined;
    this.#size--;
    if (this.#size === 0) {
      // Idle: start small again instead of keeping the largest burst's arrays (truncating them
      // allocates nothing, which matters at one request at a time, where every delete empties it).
      this.#items.length = 0;
      this.#free.length = 0;
    } else {
      this.#free.push(slot);
    }
    return true;
  }

  /** The members now, as an array of their own (members may be deleted while it is walked). */
  values(): T[] {
    const out: T[] = [];
    for (const item of this.#items) if (item !== undefined) out.push(item);
    return out;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.values()[Symbol.iterator]();
  }
}
