/**
 * The slice of the OpenAI chat-completions dialect the Responses dialect produces and reads. Loose on
 * purpose: upstream answers come from many providers, so every field read is checked where it is used.
 */

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string | ChatContentPart[] }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | ChatContentPart[] | null; refusal?: string; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string | ChatContentPart[] };

/** An OpenAI chat request, as the gateway sends it on (the ingress then resolves `model`). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  [key: string]: unknown;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** A chat message or stream delta as an upstream sends it. */
export interface ChatMessageOut {
  content?: string | null;
  refusal?: string | null;
  /** DeepSeek, vLLM, llama.cpp... name it `reasoning_content`; OpenRouter and Ollama name it `reasoning`. */
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: Array<{
    index?: number;
    id?: string;
    type?: string;
    function?: { name?: string; arguments?: string };
  }> | null;
}

export interface ChatChoice {
  index?: number;
  message?: ChatMessageOut;
  delta?: ChatMessageOut;
  finish_reason?: string | null;
}

/** A `chat.completion` body or a `chat.completion.chunk`. */
export interface ChatCompletionLike {
  id?: string;
  created?: number;
  model?: string;
  choices?: ChatChoice[];
  usage?: ChatUsage | null;
  error?: { message?: string; type?: string; code?: string | null; param?: string | null };
}

/** The reasoning text of a message or delta, whichever field the upstream uses. */
export function reasoningOf(m: ChatMessageOut): string {
  const r = m.reasoning_content ?? m.reasoning;
  return typeof r === 'string' ? r : '';
}
