// Micro-benchmark: what translating one streamed answer costs in the actor, per stream of 64 deltas
// fed one upstream event at a time (as the network delivers them), through the answer pipeline the
// engine builds: a cross-dialect stream (Gemini upstream → Anthropic Messages client: adapter →
// parts → encoder), a translated stream for OpenAI-chat clients (Gemini → OpenAI chunks), and the
// same-dialect byte pass-throughs (OpenAI → OpenAI chat, usage read and priced on the way; Anthropic
// → Anthropic Messages, usage read from message_start and message_delta).
//
// Timed in CPU time (process.cpuUsage), which other load on a shared machine disturbs less than
// wall time. Run one scenario per process (SCENARIO=<row prefix>) to keep the call sites monomorphic,
// as they are in an actor that serves one route.
//
// WHOLE=1 feeds each stream as one text (every event in one upstream read, as a server that writes
// a short answer at once delivers it, and as the e2e bench's mock does).
//
// IDENTITY=1 gives every answer the gateway's id and `provider/model` (as the engine does for every
// client call), so IDENTITY=0 and IDENTITY=1 runs of one scenario show what splicing them costs.
//
//   npx tsx bench/micro/providers/translate-stream.ts            (env: STREAMS, ROUNDS, SCENARIO, IDENTITY, WHOLE, WANTS_USAGE)

import type { ClientDialectName, Usage } from '../../../src/model/index.js';
import { adapterFor, answerPipeline, dialectFor, type TranslateContext } from '../../../src/providers/index.js';

const DELTAS = 64;
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const STREAMS = Number(process.env.STREAMS ?? 3000);
const DIALECT = { chat: 'chat', anthropic: 'anthropic' } as const satisfies Record<string, ClientDialectName>;
const IDENTITY = process.env.IDENTITY === '1';
const WHOLE = process.env.WHOLE === '1';
/** WANTS_USAGE=0: the client did not ask for usage, so the relay removes it from every chunk. */
const WANTS_USAGE = process.env.WANTS_USAGE !== '0';

function ctx(protocol: 'openai' | 'gemini' | 'anthropic'): TranslateContext {
  let n = 0;
  return {
    provider: { name: 'p', type: protocol, protocol, prices: {}, baseUrl: 'http://x', apiKey: null, headers: {}, connectTimeoutMs: 1, maxConnections: 1, firstByteTimeoutMs: 1, idleTimeoutMs: 1 },
    model: 'm', stream: true, clientWantsUsage: WANTS_USAGE, now: () => 1_700_000_000_000, newId: (p) => `${p}${++n}`,
    ...(IDENTITY ? { answer: { id: 'gen-018bcfe5680000000000000000000001', model: 'p/m' } } : {}),
  };
}
const costOf = (u: Usage | null): number | null => (u === null ? null : (u.input * 0.3 + u.output * 2.5) / 1e6);

const words = 'The quick brown fox jumps over the lazy dog, naïve café 🚀 '.split(' ');
function geminiEvents(): string[] {
  return Array.from({ length: DELTAS }, (_, i) => `data: ${JSON.stringify({
    candidates: [{ content: { parts: [{ text: `${words[i % words.length]} ` }], role: 'model' }, index: 0, ...(i === DELTAS - 1 ? { finishReason: 'STOP' } : {}) }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: i + 1, totalTokenCount: 10 + i }, modelVersion: 'gemini-2.5-flash', responseId: 'r1',
  })}\r\n\r\n`);
}
function openAIEvents(): string[] {
  const chunk = (d: string, f: string | null): string => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":${d},"logprobs":null,"finish_reason":${f === null ? 'null' : `"${f}"`}}],"usage":null}\n\n`;
  return [
    chunk('{"role":"assistant","content":""}', null),
    ...Array.from({ length: DELTAS }, (_, i) => chunk(`{"content":${JSON.stringify(`${words[i % words.length]} `)}}`, null)),
    chunk('{}', 'stop'),
    'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":64,"total_tokens":73}}\n\n',
    'data: [DONE]\n\n',
  ];
}

function anthropicEvents(): string[] {
  const ev = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 1 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...Array.from({ length: DELTAS }, (_, i) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `${words[i % words.length]} ` } })),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 64 } }),
    ev('message_stop', {}),
  ];
}

let sink = 0;
function run(protocol: 'openai' | 'gemini' | 'anthropic', dialect: ClientDialectName, stream: string[]): number {
  const events = WHOLE ? [stream.join('')] : stream;
  const t0 = process.cpuUsage();
  for (let s = 0; s < STREAMS; s++) {
    const stream = answerPipeline(adapterFor(protocol), dialectFor(dialect), 'chat', ctx(protocol), costOf).stream();
    for (const e of events) sink += stream.feed(e).length;
    sink += stream.end().length;
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / STREAMS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const g = geminiEvents();
const o = openAIEvents();
const a = anthropicEvents();
const rows: Record<string, number[]> = { 'gemini → anthropic (parts)': [], 'gemini → openai chat (parts)': [], 'openai → openai chat (pass-through)': [], 'anthropic → anthropic (pass-through)': [] };
const only = process.env.SCENARIO;
for (let r = 0; r < ROUNDS; r++) {
  if (!only || 'gemini → anthropic (parts)'.startsWith(only)) rows['gemini → anthropic (parts)']!.push(run('gemini', DIALECT.anthropic, g));
  if (!only || 'gemini → openai chat (parts)'.startsWith(only)) rows['gemini → openai chat (parts)']!.push(run('gemini', DIALECT.chat, g));
  if (!only || 'openai → openai chat (pass-through)'.startsWith(only)) rows['openai → openai chat (pass-through)']!.push(run('openai', DIALECT.chat, o));
  if (!only || 'anthropic → anthropic (pass-through)'.startsWith(only)) rows['anthropic → anthropic (pass-through)']!.push(run('anthropic', DIALECT.anthropic, a));
}
for (const [name, xs] of Object.entries(rows)) if (xs.length > 0) console.log(`${name.padEnd(38)} ${median(xs).toFixed(1).padStart(7)} µs CPU/stream (${DELTAS} deltas${WHOLE ? ', one read' : ''}, median of ${ROUNDS})`);
if (sink === 0) console.log('');
