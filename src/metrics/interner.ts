import { labelSafe } from '../model/index.js';

const DEFAULT_MAX = 65_536;
/** Longest name kept (longer ones are cut, with an ellipsis): names become metric labels and store keys. */
export const MAX_NAME_LENGTH = 200;

/**
 * Maps names (client, provider, model, strategy) to small integer ids for the u32 record fields.
 * Id 0 is reserved for "none"; the empty string maps to 0.
 *
 * Ids only mean something next to the table that issued them. Keep one interner per dimension on
 * the main thread and send ids (or the table, via {@link names} / {@link fromNames}) to workers;
 * two threads interning on their own would hand out conflicting ids.
 *
 * Names can come from clients (a requested model name), so the table is bounded: once it holds
 * `max` names, unseen names get id 0 instead of growing memory without limit; and each name is made
 * label-safe when first seen (control characters replaced, cut to {@link MAX_NAME_LENGTH}), so the
 * names it hands back are fit for metric labels and rows of bounded size.
 */
export class Interner {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [''];
  readonly #max: number;

  constructor(opts: { max?: number } = {}) {
    this.#max = opts.max ?? DEFAULT_MAX;
  }

  /** A table that issues the same ids as the one `names` came from. */
  static fromNames(names: readonly string[], opts: { max?: number } = {}): Interner {
    const interner = new Interner(opts);
    for (const name of names) interner.id(name);
    return interner;
  }

  /**
   * The id of `name`, assigning the next one on first sight; 0 for '' or when the table is full.
   * Names that read the same once made label-safe share one id.
   */
  id(name: string): number {
    // Hot path: a known name of ordinary length is one map lookup. A huge name is cut before any
    // lookup (hashing a key costs its length, on every call).
    if (name.length <= MAX_NAME_LENGTH) {
      const known = this.#ids.get(name);
      if (known !== undefined) return known;
    }
    return this.#add(name);
  }

  #add(name: string): number {
    if (name === '') return 0;
    const key = name.length > MAX_NAME_LENGTH ? labelSafe(name, MAX_NAME_LENGTH) : name;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    // Bounded on the map (names and their label-safe aliases), which is what holds the memory.
    if (this.#ids.size >= this.#max) return 0;
    const safe = labelSafe(key, MAX_NAME_LENGTH);
    const same = safe === key ? undefined : this.#ids.get(safe);
    if (same !== undefined) {
      this.#ids.set(key, same);
      return same;
    }
    const id = this.#names.length;
    this.#names.push(safe);
    this.#ids.set(key, id);
    if (safe !== key) this.#ids.set(safe, id);
    return id;
  }

  /** The id of `name` if it has one, without assigning one; undefined otherwise. */
  peek(name: string): number | undefined {
    return name === '' ? 0 : this.#ids.get(name);
  }

  /** The name behind `id`; undefined for 0 and for ids this table never issued. */
  name(id: number): string | undefined {
    return id > 0 ? this.#names[id] : undefined;
  }

  /** Number of names held (not counting "none"). */
  get size(): number {
    return this.#names.length - 1;
  }

  /** All names in id order (`names()[i]` has id `i + 1`), for sending the table to another thread. */
  names(): string[] {
    return this.#names.slice(1);
  }
}
