const FIRST_CAPACITY = 1024;
const MAX_CAPACITY = 1 << 20;

/**
 * Values by call id, for ids handed out in increasing order (by `stride` each: call ids carry the
 * actor's index in their low part) with one set and one delete per call. The `Map` it replaces,
 * churned per request, made V8's young-generation collections keep finished calls alive until they
 * were promoted, as `LiveSet` describes. Each id has one place (its low bits past the stride); a
 * place still held by an older live id sends the new one to a small overflow `Map` (a call that
 * outlived `capacity` newer ones: a long stream among many short calls), and the table doubles once
 * the overflow holds a quarter of its capacity. Ids are non-negative integers.
 */
export class IdTable<V> {
  #ids: number[];
  #values: (V | undefined)[];
  #mask: number;
  readonly #stride: number;
  #overflow = new Map<number, V>();
  #size = 0;

  constructor(stride = 1, capacity = FIRST_CAPACITY) {
    this.#stride = stride;
    this.#ids = new Array<number>(capacity).fill(-1);
    this.#values = new Array<V | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    const at = this.#place(id);
    if (this.#ids[at] === id) return this.#values[at];
    return this.#overflow.size === 0 ? undefined : this.#overflow.get(id);
  }

  has(id: number): boolean {
    return this.#ids[this.#place(id)] === id || (this.#overflow.size > 0 && this.#overflow.has(id));
  }

  set(id: number, value: V): void {
    const at = this.#place(id);
    const held = this.#ids[at];
    if (held === id || (held === -1 && (this.#overflow.size === 0 || !this.#overflow.has(id)))) {
      if (held === -1) this.#size++;
      this.#ids[at] = id;
      this.#values[at] = value;
      return;
    }
    if (!this.#overflow.has(id)) this.#size++;
    this.#overflow.set(id, value);
    if (this.#overflow.size * 4 >= this.#ids.length && this.#ids.length < MAX_CAPACITY) this.#grow();
  }

  delete(id: number): boolean {
    const at = this.#place(id);
    if (this.#ids[at] === id) {
      this.#ids[at] = -1;
      this.#values[at] = undefined;
      this.#size--;
      return true;
    }
    if (this.#overflow.size === 0 || !this.#overflow.delete(id)) return false;
    this.#size--;
    return true;
  }

  /** Every entry now, as an array of its own (entries may be deleted while it is walked). */
  entries(): [number, V][] {
    const out: [number, V][] = [];
    for (let i = 0; i < this.#ids.length; i++) if (this.#ids[i] !== -1) out.push([this.#ids[i]!, this.#values[i] as V]);
    for (const entry of this.#overflow) out.push(entry);
    return out;
  }

  clear(): void {
    this.#ids.fill(-1);
    this.#values.fill(undefined);
    this.#overflow.clear();
    this.#size = 0;
  }

  /** The id's place: consecutive calls get consecutive places (`&` keeps the low 32 bits of the quotient). */
  #place(id: number): number {
    return this.#stride === 1 ? id & this.#mask : (id / this.#stride) & this.#mask;
  }

  #grow(): void {
    const entries = this.entries();
    const capacity = this.#ids.length * 2;
    this.#ids = new Array<number>(capacity).fill(-1);
    this.#values = new Array<V | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#overflow = new Map();
    this.#size = 0;
    for (const [id, value] of entries) this.set(id, value);
  }
}
