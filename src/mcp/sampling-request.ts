import type { Item } from './upstream-types.js';

/**
 * `sampling: gateway`: an MCP `sampling/createMessage` request as an OpenAI chat completion body.
 * `model` is the first model hint that looks like a LocalRouter model id (`provider/model`), else ''
 * (the ingress then uses `mcp.sampling_model`). Pure.
 */
export function samplingToChat(params: Item): Item {
  const messages: Item[] = [];
  if (typeof params.systemPrompt === 'string' && params.systemPrompt.length > 0) messages.push({ role: 'system', content: params.systemPrompt });
  for (const m of (params.messages as Item[] | undefined) ?? []) {
    const blocks = Array.isArray(m.content) ? (m.content as Item[]) : [m.content as Item];
    const parts = blocks.map(toPart).filter((p): p is Item => p !== null);
    const onlyText = parts.every((p) => p.type === 'text');
    messages.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: onlyText ? parts.map((p) => p.text).join('\n') : parts });
  }
  const hints = ((params.modelPreferences as Item | undefined)?.hints as Item[] | undefined) ?? [];
  const hinted = hints.map((h) => h.name).find((n): n is string => typeof n === 'string' && n.includes('/'));
  const body: Item = { model: hinted ?? '', messages, max_tokens: params.maxTokens };
  if (typeof params.temperature === 'number') body.temperature = params.temperature;
  if (Array.isArray(params.stopSequences) && params.stopSequences.length > 0) body.stop = params.stopSequences;
  return body;
}

function toPart(block: Item | undefined): Item | null {
  if (block === undefined) return null;
  if (block.type === 'text') return { type: 'text', text: String(block.text ?? '') };
  if (block.type === 'image') return { type: 'image_url', image_url: { url: `data:${String(block.mimeType)};base64,${String(block.data)}` } };
  // Audio and tool blocks have no chat-completions form here; say so rather than drop them silently.
  return { type: 'text', text: `[${String(block.type)} content omitted by LocalRouter]` };
}

/** An OpenAI chat completion (JSON text) as an MCP `CreateMessageResult`. */
export function chatToSamplingResult(completion: string): Item {
  const parsed = JSON.parse(completion) as { model?: string; choices?: { message?: { content?: unknown }; finish_reason?: string }[] };
  const choice = parsed.choices?.[0];
  const text = typeof choice?.message?.content === 'string' ? choice.message.content : '';
  const stopReason = choice?.finish_reason === 'length' ? 'maxTokens' : choice?.finish_reason === 'stop' ? 'endTurn' : (choice?.finish_reason ?? 'endTurn');
  return { role: 'assistant', content: { type: 'text', text }, model: parsed.model ?? 'unknown', stopReason };
}
