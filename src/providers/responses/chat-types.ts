/** The slice of the OpenAI chat-completions request the Responses front produces. */

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
