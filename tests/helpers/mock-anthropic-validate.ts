/**
 * Request validation of the mock Messages API: the 400s the real API documents or is known to send
 * (messages follow the real ones), so the translator is checked against what Anthropic would reject.
 */

const TOP_LEVEL = new Set(['model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'thinking', 'output_config', 'metadata', 'service_tier', 'cache_control', 'container', 'mcp_servers',
  'context_management', 'inference_geo', 'speed', 'diagnostics']);
const TOOL_KEYS = new Set(['name', 'description', 'input_schema', 'strict', 'cache_control', 'type', 'input_examples', 'eager_input_streaming', 'defer_loading', 'allowed_callers']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the error message of a 400 `invalid_request_error`, or null when the body is valid. */
export function validateMessagesRequest(body: unknown): string | null {
  try {
    check(body);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function check(body: unknown): void {
  if (!isObj(body)) fail('Invalid request body');
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) fail(`${key}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string' || body.model.length === 0) fail('model: Field required');
  if (body.max_tokens === undefined) fail('max_tokens: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 0) fail('max_tokens: Input should be a valid integer');
  if (!Array.isArray(body.messages)) fail('messages: Field required');
  if (body.messages.length === 0) fail('messages: at least one message is required');
  if (body.system !== undefined) checkSystem(body.system);
  if (body.stream !== undefined && typeof body.stream !== 'boolean') fail('stream: Input should be a valid boolean');
  for (const key of ['temperature', 'top_p']) {
    if (body[key] !== undefined && (typeof body[key] !== 'number' || body[key] < 0 || body[key] > 1)) fail(`${key}: Input should be less than or equal to 1`);
  }
  if (body.top_k !== undefined && !Number.isInteger(body.top_k)) fail('top_k: Input should be a valid integer');
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s: unknown) => typeof s === 'string'))) {
    fail('stop_sequences: Input should be a valid list');
  }
  const toolNames = checkTools(body.tools);
  checkToolChoice(body.tool_choice, toolNames);
  checkThinking(body);
  checkOutputConfig(body.output_config);
  if (body.metadata !== undefined && (!isObj(body.metadata) || Object.keys(body.metadata).some((k) => k !== 'user_id'))) fail('metadata: Extra inputs are not permitted');
  if (body.service_tier !== undefined && body.service_tier !== 'auto' && body.service_tier !== 'standard_only') fail("service_tier: Input should be 'auto' or 'standard_only'");
  if (body.cache_control !== undefined) checkCache(body.cache_control, 'cache_control');
  checkMessages(body.messages);
}

function checkSystem(system: unknown): void {
  if (typeof system === 'string') return;
  if (!Array.isArray(system)) fail('system: Input should be a valid string or list');
  system.forEach((b, i) => {
    if (!isObj(b) || b.type !== 'text' || typeof b.text !== 'string') fail(`system.${i}: Input should be a text block`);
    if (b.text.length === 0) fail('system: text content blocks must be non-empty');
    if (b.cache_control !== undefined) checkCache(b.cache_control, `system.${i}.cache_control`);
  });
}

function checkCache(cc: unknown, at: string): void {
  if (!isObj(cc) || cc.type !== 'ephemeral' || (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h')) fail(`${at}: Input should be a valid cache control`);
}

function checkTools(tools: unknown): Set<string> {
  const names = new Set<string>();
  if (tools === undefined) return names;
  if (!Array.isArray(tools)) fail('tools: Input should be a valid list');
  tools.forEach((t, i) => {
    if (!isObj(t)) fail(`tools.${i}: Input should be a valid dictionary`);
    for (const key of Object.keys(t)) if (!TOOL_KEYS.has(key)) fail(`tools.${i}.custom.${key}: Extra inputs are not permitted`);
    if (typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) fail(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (!isObj(t.input_schema) || t.input_schema.type !== 'object') fail(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
    if (names.has(t.name)) fail('tools: Tool names must be unique.');
    if (t.cache_control !== undefined) checkCache(t.cache_control, `tools.${i}.cache_control`);
    names.add(t.name);
  });
  return names;
}

function checkToolChoice(choice: unknown, tools: Set<string>): void {
  if (choice === undefined) return;
  if (!isObj(choice) || !['auto', 'any', 'tool', 'none'].includes(choice.type)) fail('tool_choice: Input tag does not match any of the expected tags');
  if (tools.size === 0) fail('tool_choice may only be specified while providing tools.');
  if (choice.type === 'tool' && !tools.has(choice.name)) fail(`tool_choice.name: Tool '${String(choice.name)}' not found in tools`);
  if (choice.type === 'none' && choice.disable_parallel_tool_use !== undefined) fail('tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted');
}

function checkThinking(body: Record<string, any>): void {
  const t = body.thinking;
  if (t === undefined) return;
  if (!isObj(t) || !['enabled', 'adaptive', 'disabled'].includes(t.type)) fail('thinking: Input tag does not match any of the expected tags');
  if (t.type === 'enabled') {
    if (!Number.isInteger(t.budget_tokens) || t.budget_tokens < 1024) fail('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    if (t.budget_tokens >= body.max_tokens) fail('`max_tokens` must be greater than `thinking.budget_tokens`.');
  }
  if (t.type !== 'disabled') {
    if (body.temperature !== undefined && body.temperature !== 1) fail('`temperature` may only be set to 1 when thinking is enabled.');
    if (body.top_k !== undefined) fail('`top_k` may not be set when thinking is enabled.');
    if (isObj(body.tool_choice) && (body.tool_choice.type === 'any' || body.tool_choice.type === 'tool')) fail('Thinking may not be enabled when tool_choice forces tool use.');
  }
}

function checkOutputConfig(config: unknown): void {
  if (config === undefined) return;
  if (!isObj(config)) fail('output_config: Input should be a valid dictionary');
  for (const key of Object.keys(config)) if (key !== 'effort' && key !== 'format') fail(`output_config.${key}: Extra inputs are not permitted`);
  if (config.effort !== undefined && !['low', 'medium', 'high', 'xhigh', 'max'].includes(config.effort)) fail("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'");
  if (config.format !== undefined && (!isObj(config.format) || config.format.type !== 'json_schema' || !isObj(config.format.schema))) {
    fail('output_config.format: Input should be a valid json_schema format');
  }
}

function checkMessages(messages: unknown[]): void {
  let previousToolUses: string[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) fail(`messages.${i}: Input should be a valid dictionary`);
    if (m.role !== 'user' && m.role !== 'assistant') fail(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && m.role !== 'user') fail('messages: first message must use the "user" role');
    if (i > 0 && (messages[i - 1] as { role: string }).role === m.role) {
      fail(`messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`);
    }
    const blocks = typeof m.content === 'string' ? (m.content.length > 0 ? [{ type: 'text', text: m.content }] : [])
      : Array.isArray(m.content) ? m.content : fail(`messages.${i}.content: Input should be a valid list`);
    if (blocks.length === 0 && !(m.role === 'assistant' && i === messages.length - 1)) fail(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    const results: string[] = [];
    const toolUses: string[] = [];
    let sawOther = false;
    blocks.forEach((b: unknown, j: number) => {
      const at = `messages.${i}.content.${j}`;
      if (!isObj(b)) fail(`${at}: Input should be a valid dictionary`);
      if (b.cache_control !== undefined) checkCache(b.cache_control, `${at}.cache_control`);
      switch (b.type) {
        case 'text':
          if (typeof b.text !== 'string' || b.text.length === 0) fail('messages: text content blocks must be non-empty');
          sawOther = true;
          break;
        case 'image': checkImage(b.source, at); sawOther = true; break;
        case 'document':
          if (!isObj(b.source) || !['base64', 'text', 'url'].includes(b.source.type)) fail(`${at}.source: Input tag does not match any of the expected tags`);
          sawOther = true;
          break;
        case 'thinking':
        case 'redacted_thinking':
          if (m.role !== 'assistant') fail(`${at}: thinking blocks are only allowed in assistant messages`);
          if (b.type === 'thinking' && (typeof b.signature !== 'string' || b.signature.length === 0)) fail(`${at}.signature: Field required`);
          break;
        case 'tool_use':
          if (m.role !== 'assistant') fail(`${at}: tool_use blocks are only allowed in assistant messages`);
          if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObj(b.input)) fail(`${at}: Input should be a valid tool_use block`);
          toolUses.push(b.id);
          break;
        case 'tool_result':
          if (m.role !== 'user') fail(`${at}: tool_result blocks are only allowed in user messages`);
          if (sawOther) fail(`messages.${i}: tool_result blocks must be at the beginning of the message content`);
          if (!previousToolUses.includes(b.tool_use_id)) {
            fail(`${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
          }
          if (b.content !== undefined && typeof b.content !== 'string') {
            if (!Array.isArray(b.content)) fail(`${at}.content: Input should be a valid list`);
            b.content.forEach((c: any, k: number) => {
              if (c?.type === 'image') checkImage(c.source, `${at}.content.${k}`);
              else if (c?.type !== 'text' || typeof c.text !== 'string' || c.text.length === 0) fail(`${at}.content.${k}: Input should be a valid text or image block`);
            });
          }
          results.push(b.tool_use_id);
          break;
        default:
          fail(`${at}.type: Input tag '${String(b.type)}' found using 'type' does not match any of the expected tags`);
      }
    });
    if (m.role === 'user' && previousToolUses.length > 0) {
      const missing = previousToolUses.filter((id) => !results.includes(id));
      if (missing.length > 0) {
        fail(`messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
      }
    }
    previousToolUses = m.role === 'assistant' ? toolUses : [];
  });
}

function checkImage(source: unknown, at: string): void {
  if (!isObj(source)) fail(`${at}.source: Field required`);
  if (source.type === 'base64') {
    if (!IMAGE_TYPES.has(source.media_type)) fail(`${at}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
    if (typeof source.data !== 'string' || source.data.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(source.data)) fail(`${at}.source.base64.data: invalid base64 data`);
  } else if (source.type === 'url') {
    if (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url)) fail(`${at}.source.url.url: Input should be a valid URL`);
  } else {
    fail(`${at}.source: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags`);
  }
}
