import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { TranslateContext } from '../../../../src/providers/index.js';
import { createGeminiPartStream } from '../../../../src/providers/gemini/index.js';
import { runOpenAIClient } from '../parts-harness.js';

export const goldenDir = new URL('../../../golden/providers/gemini/', import.meta.url);
export const readGolden = (name: string): Buffer => fs.readFileSync(new URL(name, goldenDir));

/** A translation context with a fixed clock and counting ids, so outputs are byte-stable. */
export function testContext(model = 'gemini-2.5-flash', clientWantsUsage = false): TranslateContext {
  let n = 0;
  return {
    provider: { name: 'gem', type: 'gemini', prices: {}, protocol: 'gemini', baseUrl: 'http://127.0.0.1:1/v1beta', apiKey: 'k', headers: {}, connectTimeoutMs: 1000, maxConnections: 16, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 },
    model, stream: true, clientWantsUsage,
    now: () => 1_764_000_000_000,
    newId: (prefix) => `${prefix}${++n}`,
  };
}

export interface StreamRun { out: string; error: Error | null; usage: unknown }

/**
 * Runs upstream bytes through the Gemini translator and the OpenAI chunk encoder, as an OpenAI-chat
 * client gets them: bytes split at `splits` → UTF-8 decoder → parts → chunks. A throw ends the run
 * (the engine then writes the error event), keeping the text before it.
 */
export function runStream(bytes: Buffer, splits: number[], clientWantsUsage = false): StreamRun {
  const ctx = testContext('gemini-2.5-flash', clientWantsUsage);
  return runOpenAIClient(createGeminiPartStream(ctx), ctx, bytes, splits);
}

export const everyByte = (n: number): number[] => Array.from({ length: n - 1 }, (_, i) => i + 1);
