import { LocalRouterError } from '../../errors/index.js';
import type { ChatRequest } from '../../model/index.js';

export interface CompletionsConversion {
  /** The chat request to route (its `model` is still the client's, for the ingress to resolve). */
  chat: ChatRequest;
  /** `stream_options.include_usage`: the client wants the final usage chunk (set CLIENT_WANTS_USAGE). */
  clientWantsUsage: boolean;
}

/** Same name and meaning in chat completions: copied as is when set. */
const SAME_IN_CHAT = ['frequency_penalty', 'presence_penalty', 'seed', 'logit_bias', 'stop', 'temperature', 'top_p', 'user', 'max_tokens'] as const;
const KNOWN = new Set<string>(['model', 'prompt', 'stream', 'stream_options', 'n', 'best_of', 'echo', 'suffix', 'logprobs', ...SAME_IN_CHAT]);

/**
 * A legacy completions request (`POST /v1/completions`) → an OpenAI chat request with the prompt as
 * its one user message. Only what chat can express faithfully is accepted:
 * - `prompt`: a string, or an array holding exactly one string; several prompts (a batch) and token
 *   arrays are rejected (chat takes one conversation of text);
 * - `n` and `best_of` above 1, `echo: true`, a non-empty `suffix` and `logprobs` are rejected;
 * - `max_tokens` keeps its name in chat; when absent the upstream's default applies (the legacy
 *   API's default of 16 tokens is not imposed on chat models);
 * - penalties, `seed`, `logit_bias`, `stop`, `temperature`, `top_p` and `user` are copied;
 * - unknown fields are rejected, never dropped.
 * A chat model answers the prompt rather than continuing it token for token: that is what "mapped
 * onto chat" means, for upstreams without a native completions endpoint.
 */
export function fromCompletionsRequest(body: unknown): CompletionsConversion {
  if (!isRecord(body)) throw bad('request body must be a JSON object', 'body');
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key)) throw unsupported(`unsupported parameter: "${key}"`, key);
  }
  if (typeof body.model !== 'string' || body.model.length === 0) throw bad('missing required parameter: "model"', 'model');
  const prompt = promptOf(body.prompt);
  for (const key of ['n', 'best_of'] as const) {
    const v = body[key];
    if (isUnset(v)) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(`"${key}" must be a positive integer`, key);
    if (v > 1) throw unsupported(`"${key}" above 1 is not supported: chat upstreams return one completion per request here`, key);
  }
  if (!isUnset(body.echo) && body.echo !== false) throw unsupported('"echo" is not supported: chat completions cannot return the prompt', 'echo');
  if (!isUnset(body.suffix) && body.suffix !== '') throw unsupported('"suffix" (insertion) cannot be expressed in chat completions', 'suffix');
  if (!isUnset(body.logprobs)) throw unsupported('"logprobs" is not supported on /v1/completions', 'logprobs');
  if (!isUnset(body.stream) && typeof body.stream !== 'boolean') throw bad('"stream" must be a boolean', 'stream');
  if (!isUnset(body.stream_options) && !isRecord(body.stream_options)) throw bad('"stream_options" must be an object', 'stream_options');

  const chat: ChatRequest = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  // Same name and meaning in chat: copied as given, for the adapter to check.
  for (const key of SAME_IN_CHAT) {
    if (!isUnset(body[key])) Object.assign(chat, { [key]: body[key] });
  }
  const stream = body.stream === true;
  const clientWantsUsage = stream && isRecord(body.stream_options) && body.stream_options.include_usage === true;
  if (stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, clientWantsUsage };
}

function promptOf(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
    if (prompt.length === 0) throw bad('"prompt" must not be empty', 'prompt');
    if (prompt.every((p) => typeof p === 'string')) {
      throw unsupported(`"prompt" holds ${prompt.length} prompts; batches are not supported, send one request per prompt`, 'prompt');
    }
    throw unsupported('token-array prompts are not supported: chat upstreams take text', 'prompt');
  }
  throw bad('missing required parameter: "prompt" (a string)', 'prompt');
}

function bad(message: string, param: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', message, { param });
}

function unsupported(message: string, param: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', message, { param });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUnset(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}
