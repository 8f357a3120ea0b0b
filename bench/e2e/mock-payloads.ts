/**
 * Wire bodies of the mock upstream, shaped like OpenAI's current chat-completions responses so the
 * gateway parses what it would parse in production. Content tokens are numbered (`t0 `, `t1 `, ...)
 * so a client can tell a dropped delta from a merged or reordered one.
 */

const FINGERPRINT = 'fp_bench01';
const CREATED = 1_732_550_000;

// ~650 characters, so the whole non-streamed body lands near 1 KB.
export const ANSWER =
  'Routing requests through a local gateway keeps provider keys on this machine and gives every ' +
  'client one endpoint. The gateway authenticates the caller, applies its limits, resolves the ' +
  'model to a provider, forwards the request, and records usage and cost when the answer comes ' +
  'back. Streaming answers are passed through frame by frame, with backpressure from the client ' +
  'reaching the upstream socket, so a slow reader never makes the gateway buffer a whole answer. ' +
  'When a provider fails before the first byte, the next candidate in the fallback list is tried, ' +
  'and the client sees one clean response either way.';

/** Token count reported for non-streamed answers. */
export const COMPLETION_TOKENS = 148;

/** Deterministic prompt token count, so accounting checks can recompute it from the request. */
export function promptTokens(requestBytes: number): number {
  return Math.ceil(requestBytes / 4);
}

function usageJson(prompt: number, completion: number): string {
  return (
    `{"prompt_tokens":${prompt},"completion_tokens":${completion},"total_tokens":${prompt + completion},` +
    '"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},' +
    '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}'
  );
}

/** The full non-streamed `chat.completion` body. */
export function completionBody(id: string, model: string, requestBytes: number): string {
  return (
    `{"id":"${id}","object":"chat.completion","created":${CREATED},"model":${JSON.stringify(model)},` +
    `"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(ANSWER)},"refusal":null,"annotations":[]},` +
    '"logprobs":null,"finish_reason":"stop"}],' +
    `"usage":${usageJson(promptTokens(requestBytes), COMPLETION_TOKENS)},` +
    `"service_tier":"default","system_fingerprint":"${FINGERPRINT}"}`
  );
}

/** Content of delta `i`; clients check it to detect drops, merges and reordering. */
export function deltaContent(i: number): string {
  return `t${i} `;
}

/** One SSE stream's events, each a complete `data: ...\n\n` frame, ending with `[DONE]`. */
export function streamEvents(id: string, model: string, deltas: number, includeUsage: boolean, requestBytes: number): string[] {
  const head =
    `data: {"id":"${id}","object":"chat.completion.chunk","created":${CREATED},"model":${JSON.stringify(model)},` +
    `"service_tier":"default","system_fingerprint":"${FINGERPRINT}","choices":[{"index":0,"delta":{`;
  // OpenAI sends `"usage":null` on every chunk once the client asked for usage.
  const tail = includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  const events: string[] = new Array(deltas);
  for (let i = 0; i < deltas; i++) {
    const role = i === 0 ? '"role":"assistant",' : '';
    const finish = i === deltas - 1 ? '"stop"' : 'null';
    events[i] = `${head}${role}"content":"${deltaContent(i)}"},"logprobs":null,"finish_reason":${finish}}]${tail}`;
  }
  if (includeUsage) {
    events.push(
      `data: {"id":"${id}","object":"chat.completion.chunk","created":${CREATED},"model":${JSON.stringify(model)},` +
        `"service_tier":"default","system_fingerprint":"${FINGERPRINT}","choices":[],` +
        `"usage":${usageJson(promptTokens(requestBytes), deltas)}}\n\n`,
    );
  }
  events.push('data: [DONE]\n\n');
  return events;
}

/** `GET /v1/models` body. */
export function modelsBody(): string {
  return JSON.stringify({
    object: 'list',
    data: [{ id: 'bench-model', object: 'model', created: CREATED, owned_by: 'mock' }],
  });
}

/** OpenAI-shaped error bodies for injected faults. */
export const FAULT_BODIES = {
  429: '{"error":{"message":"Rate limit reached for requests (mock)","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
  500: '{"error":{"message":"The server had an error while processing your request (mock)","type":"server_error","param":null,"code":null}}',
  400: '{"error":{"message":"Request body is not valid JSON (mock)","type":"invalid_request_error","param":null,"code":null}}',
} as const;
