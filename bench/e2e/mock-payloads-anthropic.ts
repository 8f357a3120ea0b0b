/**
 * Wire bodies of the mock upstream's Anthropic Messages mode (`POST /v1/messages`), shaped like the
 * Messages API's current answers: the same answer text and numbered deltas (`t0 `, `t1 `, ...) as the
 * OpenAI mode, so one checker per dialect can tell a dropped delta from a merged one.
 */
import { ANSWER, COMPLETION_TOKENS, deltaContent, promptTokens } from './mock-payloads.js';

const ev = (type: string, data: string): string => `event: ${type}\ndata: ${data}\n\n`;

function usageJson(input: number, output: number): string {
  return `{"input_tokens":${input},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":${output},"service_tier":"standard"}`;
}

/** The full non-streamed `message` body, with its usage (input tokens from the request size). */
export function messageBody(id: string, model: string, requestBytes: number): string {
  return (
    `{"id":"${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},` +
    `"content":[{"type":"text","text":${JSON.stringify(ANSWER)}}],"stop_reason":"end_turn","stop_sequence":null,` +
    `"usage":${usageJson(promptTokens(requestBytes), COMPLETION_TOKENS)}}`
  );
}

/**
 * One Messages stream, grouped per write: element 0 is `message_start`, `content_block_start`,
 * `ping` and the first `text_delta`; elements 1..deltas-1 one `text_delta` each; then
 * `content_block_stop`, `message_delta` (stop reason and the output token count) and
 * `message_stop`, which the mock writes right after the last delta, as Anthropic sends them.
 */
export function messageStreamEvents(id: string, model: string, deltas: number, requestBytes: number): string[] {
  const delta = (i: number): string =>
    ev('content_block_delta', `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${deltaContent(i)}"}}`);
  const events: string[] = new Array(deltas);
  events[0] =
    ev('message_start', `{"type":"message_start","message":{"id":"${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},` +
      `"content":[],"stop_reason":null,"stop_sequence":null,"usage":${usageJson(promptTokens(requestBytes), 1)}}}`) +
    ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}') +
    ev('ping', '{"type": "ping"}') +
    delta(0);
  for (let i = 1; i < deltas; i++) events[i] = delta(i);
  events.push(
    ev('content_block_stop', '{"type":"content_block_stop","index":0}'),
    ev('message_delta', `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${deltas}}}`),
    ev('message_stop', '{"type":"message_stop"}'),
  );
  return events;
}

/** `GET /v1/models` as the Models API answers it. */
export function anthropicModelsBody(): string {
  return JSON.stringify({
    data: [{ type: 'model', id: 'bench-model', display_name: 'Bench model', created_at: '2025-01-01T00:00:00Z' }],
    has_more: false, first_id: 'bench-model', last_id: 'bench-model',
  });
}

/** Anthropic-shaped error bodies. */
export const ANTHROPIC_FAULT_BODIES = {
  429: '{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit (mock)"}}',
  500: '{"type":"error","error":{"type":"api_error","message":"Internal server error (mock)"}}',
  400: '{"type":"error","error":{"type":"invalid_request_error","message":"invalid request (mock)"}}',
  401: '{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required (mock)"}}',
} as const;
