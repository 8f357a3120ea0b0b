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

  it('lists every quote, backslash and control byte, in order, at every length and alignment, and says when the list is full', async () => {
    const { JSON_SPECIALS_WASM } = await import('../../../src/providers/json-specials-wasm.js');
    // The project's type libraries do not declare WebAssembly.
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } } }).WebAssembly;
    const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(JSON_SPECIALS_WASM, 'base64')));
    const scan = exports as { memory: { buffer: ArrayBuffer }; specials(start: number, end: number, out: number, cap: number): number };
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0);
    const bytes = [0x22, 0x5c, 0x00, 0x1f, 0x0a, 0x20, 0x21, 0x7f, 0x80, 0xff, 0x61, 0x5b];
    for (let round = 0; round < 400; round++) {
      const start = next() % 40;
      const length = next() % 90;
      const mem = new Uint8Array(scan.memory.buffer);
      const expected: number[] = [];
      for (let i = 0; i < length; i++) {
        const b = next() % 3 === 0 ? bytes[next() % bytes.length]! : 0x61 + (next() % 26);
        mem[start + i] = b;
        if (b === 0x22 || b === 0x5c || b < 0x20) expected.push(i);
      }
      const out = 4096;
      const count = scan.specials(start, start + length, out, 1000);
      expect(Array.from(new Int32Array(scan.memory.buffer, out, count))).toEqual(expected);
      if (expected.length > 0) expect(scan.specials(start, start + length, out, expected.length - 1)).toBe(-1);
    }
  });
});
