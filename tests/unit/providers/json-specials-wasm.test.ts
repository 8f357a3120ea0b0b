import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the WebAssembly scan of json-skim.ts', () => {
  it('ships exactly the compiled json-specials.wat (npm run build:wasm after an edit)', async () => {
    const { wasmModuleSource } = await import(path.join(root, 'scripts/build-wasm.mjs') as string) as { wasmModuleSource(): Promise<string> };
    expect(fs.readFileSync(path.join(root, 'src/providers/json-specials-wasm.ts'), 'utf8')).toBe(await wasmModuleSource());
  });

  it('lists unescaped quotes, control bytes and bad escapes, in order, at every length and alignment, and says when the list is full', async () => {
    const { JSON_SPECIALS_WASM } = await import('../../../src/providers/json-specials-wasm.js');
    // The project's type libraries do not declare WebAssembly.
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } } }).WebAssembly;
    const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(JSON_SPECIALS_WASM, 'base64')));
    const scan = exports as { memory: { buffer: ArrayBuffer }; specials(start: number, end: number, out: number, cap: number): number };
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0);
    const isHex = (c: number | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
    // What the scan must list, one byte at a time: JSON's escapes pair up from the start.
    const reference = (bytes: number[]): number[] => {
      const listed: number[] = [];
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        if (b === 0x5c) {
          const e = bytes[i + 1];
          if (e !== undefined && '"\\/bfnrt'.includes(String.fromCharCode(e))) { i += 1; continue; }
          if (e === 0x75 && isHex(bytes[i + 2]) && isHex(bytes[i + 3]) && isHex(bytes[i + 4]) && isHex(bytes[i + 5])) { i += 5; continue; }
          listed.push(i);
        } else if (b === 0x22 || b < 0x20) {
          listed.push(i);
        }
      }
      return listed;
    };
    const special = [0x22, 0x5c, 0x5c, 0x5c, 0x00, 0x1f, 0x0a, 0x20, 0x7f, 0x80, 0xff, 0x75, 0x6e, 0x2f, 0x41, 0x66, 0x30, 0x67];
    let escapes = 0;
    for (let round = 0; round < 2000; round++) {
      const start = next() % 40;
      const length = next() % 90;
      const mem = new Uint8Array(scan.memory.buffer);
      // Bytes past the end stay from earlier rounds: the scan may read them but never lists them.
      const bytes: number[] = [];
      for (let i = 0; i < length; i++) bytes.push(next() % 2 === 0 ? special[next() % special.length]! : 0x61 + (next() % 26));
      mem.set(bytes, start);
      const expected = reference(bytes);
      escapes += bytes.filter((b) => b === 0x5c).length;
      const out = 4096;
      const count = scan.specials(start, start + length, out, 1000);
      expect(Array.from(new Int32Array(scan.memory.buffer, out, count)), JSON.stringify(bytes)).toEqual(expected);
      if (expected.length > 0) expect(scan.specials(start, start + length, out, expected.length - 1)).toBe(-1);
    }
    expect(escapes).toBeGreaterThan(1000);
  });
});
