import { describe, expect, it } from 'vitest';
import { IdTable, LiveSet } from '../../../src/model/index.js';

describe('LiveSet', () => {
  it('holds what was added until its slot is deleted, reusing slots', () => {
    const set = new LiveSet<{ n: number }>();
    const a = { n: 1 }, b = { n: 2 }, c = { n: 3 };
    const sa = set.add(a), sb = set.add(b);
    expect(set.size).toBe(2);
    expect(set.delete(sa, a)).toBe(true);
    expect(set.delete(sa, a)).toBe(false); // already gone
    expect(set.delete(sb, a)).toBe(false); // the slot holds someone else
    expect(set.size).toBe(1);
    const sc = set.add(c);
    expect(sc).toBe(sa); // the freed slot is taken again
    expect([...set].map((x) => x.n).sort()).toEqual([2, 3]);
    expect(set.delete(sb, b) && set.delete(sc, c)).toBe(true);
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
    // An owner holding a slot from before the set emptied deletes nothing.
    expect(set.delete(sb, b)).toBe(false);
  });

  it('can be walked while members are deleted, as shutdown does', () => {
    const set = new LiveSet<{ slot: number }>();
    const members = Array.from({ length: 50 }, () => ({ slot: -1 }));
    for (const m of members) m.slot = set.add(m);
    let seen = 0;
    for (const m of set) {
      seen++;
      expect(set.delete(m.slot, m)).toBe(true);
    }
    expect(seen).toBe(50);
    expect(set.size).toBe(0);
  });

  it('agrees with a Set over random adds and deletes', () => {
    const set = new LiveSet<object>();
    const ref = new Map<object, number>();
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      if (ref.size === 0 || rnd() < 0.55) {
        const o = {};
        ref.set(o, set.add(o));
      } else {
        const keys = [...ref.keys()];
        const o = keys[Math.floor(rnd() * keys.length)]!;
        expect(set.delete(ref.get(o)!, o)).toBe(true);
        ref.delete(o);
      }
      expect(set.size).toBe(ref.size);
    }
    expect(new Set(set.values())).toEqual(new Set(ref.keys()));
  });
});

describe('IdTable', () => {
  it('finds values by id with a stride, long-lived ids included, and agrees with a Map', () => {
    for (const stride of [1, 64]) {
      const table = new IdTable<string>(stride, 16);
      const ref = new Map<number, string>();
      let seed = 11;
      const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let seq = 0;
      const offset = stride === 64 ? 5 : 0; // the actor's index in the low part
      for (let i = 0; i < 30_000; i++) {
        const r = rnd();
        if (ref.size === 0 || r < 0.5) {
          const id = ++seq * stride + offset;
          table.set(id, `v${id}`);
          ref.set(id, `v${id}`);
        } else {
          // Mostly the oldest calls end; some live on past many newer ones (long streams).
          const ids = [...ref.keys()];
          const id = r < 0.97 ? ids[Math.floor(rnd() * Math.min(ids.length, 8))]! : ids[ids.length - 1]!;
          expect(table.delete(id)).toBe(true);
          ref.delete(id);
          expect(table.delete(id)).toBe(false);
        }
        if (i % 97 === 0) {
          for (const [id, v] of ref) expect(table.get(id)).toBe(v);
          expect(table.get(seq * stride + offset + stride)).toBeUndefined();
        }
        expect(table.size).toBe(ref.size);
      }
      expect(new Map(table.entries())).toEqual(ref);
      for (const id of ref.keys()) expect(table.has(id)).toBe(true);
      table.clear();
      expect(table.size).toBe(0);
      expect(table.entries()).toEqual([]);
    }
  });

  it('keeps an id whose place a newer id needs, and updates a value in place', () => {
    const table = new IdTable<number>(1, 4);
    table.set(1, 10);
    for (let id = 2; id <= 40; id++) { table.set(id, id); table.delete(id); }
    table.set(5, 50);
    table.set(5, 51);
    expect(table.get(1)).toBe(10);
    expect(table.get(5)).toBe(51);
    expect(table.size).toBe(2);
  });
});
