import fs from 'node:fs';
import type { PartStream, TranslateContext } from '../../../src/providers/index.js';
import { anthropicAdapter } from '../../../src/providers/anthropic/index.js';
import { cohereAdapter } from '../../../src/providers/cohere/index.js';
import { geminiAdapter } from '../../../src/providers/gemini/index.js';
import { ollamaAdapter } from '../../../src/providers/ollama/index.js';
import { openAIAdapter } from '../../../src/providers/openai-compatible/openai-adapter.js';
import { testContext } from '../../helpers/translate-context.js';
import { dialectContext } from './responses/dialect-context.js';

export const goldenDir = new URL('../../golden/providers/', import.meta.url);
export const readGolden = (name: string): Buffer => fs.readFileSync(new URL(name, goldenDir));

/** A recorded upstream stream, what one adapter makes of it, and what an OpenAI-chat client then gets. */
export interface AdapterCase {
  /** `<folder>/<case>`: the upstream file is `<name>.upstream.<ext>`, the parts `<name>.parts.json`. */
  name: string;
  ext: 'sse' | 'ndjson';
  /** The parts golden, when it is another case's (the same events framed otherwise). */
  parts?: string;
  /** A fresh translator and the context its parts are encoded with (ids and clock fixed). */
  start(clientWantsUsage: boolean): { stream: PartStream; ctx: TranslateContext };
  /** OpenAI chunk SSE goldens: file name → whether the client asked for usage. */
  openAI: [string, boolean][];
}

const anthropicCtx = (clientWantsUsage: boolean): TranslateContext => ({
  provider: { name: 'claude', type: 'anthropic', prices: {}, protocol: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKey: 'sk-ant-golden', headers: {}, connectTimeoutMs: 1, maxConnections: 16, firstByteTimeoutMs: 1, idleTimeoutMs: 1 },
  model: 'claude-sonnet-4-5-20250929', stream: true, clientWantsUsage, now: () => 1_700_000_000_000, newId: (p) => `${p}golden`,
});

const geminiCtx = (clientWantsUsage: boolean): TranslateContext => {
  let n = 0;
  return {
    provider: { name: 'gem', type: 'gemini', prices: {}, protocol: 'gemini', baseUrl: 'http://127.0.0.1:1/v1beta', apiKey: 'k', headers: {}, connectTimeoutMs: 1000, maxConnections: 16, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 },
    model: 'gemini-2.5-flash', stream: true, clientWantsUsage, now: () => 1_764_000_000_000, newId: (prefix) => `${prefix}${++n}`,
  };
};

const ollamaCtx = (clientWantsUsage: boolean): TranslateContext => testContext('ollama', { model: 'fallback-model', clientWantsUsage });
const cohereCtx = (clientWantsUsage: boolean): TranslateContext => testContext('cohere', { model: 'command-a-03-2025', clientWantsUsage, baseUrl: 'https://api.cohere.com/v2' });

const using = (chatStream: (ctx: TranslateContext) => PartStream, ctxOf: (wantsUsage: boolean) => TranslateContext) => (clientWantsUsage: boolean) => {
  const ctx = ctxOf(clientWantsUsage);
  return { stream: chatStream(ctx), ctx };
};

export const ADAPTER_CASES: AdapterCase[] = [
  {
    name: 'anthropic/thinking-text-tool', ext: 'sse', start: using(anthropicAdapter.chatStream!, anthropicCtx),
    openAI: [['anthropic/thinking-text-tool.client-usage.expected.sse', true], ['anthropic/thinking-text-tool.no-client-usage.expected.sse', false]],
  },
  {
    name: 'gemini/text-thought-usage', ext: 'sse', start: using(geminiAdapter.chatStream!, geminiCtx),
    openAI: [['gemini/text-thought-usage.client-usage.expected.sse', true], ['gemini/text-thought-usage.no-client-usage.expected.sse', false]],
  },
  {
    name: 'gemini/parallel-tool-calls', ext: 'sse', start: using(geminiAdapter.chatStream!, geminiCtx),
    openAI: [['gemini/parallel-tool-calls.expected.sse', false]],
  },
  {
    name: 'ollama/text', ext: 'ndjson', start: using(ollamaAdapter.chatStream!, ollamaCtx),
    openAI: [['ollama/text.client-usage.expected.sse', true], ['ollama/text.no-client-usage.expected.sse', false]],
  },
  { name: 'ollama/tools', ext: 'ndjson', start: using(ollamaAdapter.chatStream!, ollamaCtx), openAI: [['ollama/tools.expected.sse', false]] },
  {
    name: 'cohere/text', ext: 'sse', start: using(cohereAdapter.chatStream!, cohereCtx),
    openAI: [['cohere/text.client-usage.expected.sse', true], ['cohere/text.no-client-usage.expected.sse', false]],
  },
  {
    name: 'cohere/text', ext: 'ndjson', parts: 'cohere/text', start: using(cohereAdapter.chatStream!, cohereCtx),
    openAI: [['cohere/text.no-client-usage.expected.sse', false]],
  },
  { name: 'cohere/tools', ext: 'sse', start: using(cohereAdapter.chatStream!, cohereCtx), openAI: [['cohere/tools.expected.sse', false]] },
  // OpenAI upstreams: parts for clients of the other dialects (an OpenAI-chat client gets the bytes as they are).
  { name: 'openai-compatible/stream-with-usage', ext: 'sse', start: using(openAIAdapter.chatStream!, (u) => dialectContext({ clientWantsUsage: u })), openAI: [] },
  ...['reasoning-text', 'tool-calls', 'length-crlf-unterminated', 'error-mid-stream'].map((c): AdapterCase => ({
    name: `responses/${c}`, ext: 'sse', start: using(openAIAdapter.chatStream!, (u) => dialectContext({ clientWantsUsage: u })), openAI: [],
  })),
  ...['text', 'error-mid-stream'].map((c): AdapterCase => ({
    name: `completions/${c}`, ext: 'sse', start: using(openAIAdapter.chatStream!, (u) => dialectContext({ clientWantsUsage: u })), openAI: [],
  })),
];
