import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { parseGemini } from './from-gemini-response.js';

interface GeminiModel {
  name?: unknown;
  displayName?: unknown;
  inputTokenLimit?: unknown;
  outputTokenLimit?: unknown;
  supportedGenerationMethods?: unknown;
}

/**
 * Gemini `models.list` (`{models: [{name: "models/gemini-2.5-flash", ...}], nextPageToken}`) → an
 * OpenAI model list with ids without the `models/` prefix (requests name models that way). Gemini
 * gives no creation date (`created: 0`); its limits and methods ride along as extra fields.
 */
export function fromGeminiModelList(body: string, ctx: TranslateContext): TranslatedBody {
  const parsed = parseGemini(body, ctx) as { models?: GeminiModel[] };
  const data = (Array.isArray(parsed.models) ? parsed.models : [])
    .filter((m) => typeof m?.name === 'string')
    .map((m) => {
      const item: Record<string, unknown> = { id: (m.name as string).replace(/^models\//, ''), object: 'model', created: 0, owned_by: 'google' };
      if (typeof m.displayName === 'string') item.display_name = m.displayName;
      if (typeof m.inputTokenLimit === 'number') item.context_length = m.inputTokenLimit;
      if (typeof m.outputTokenLimit === 'number') item.max_output_tokens = m.outputTokenLimit;
      if (Array.isArray(m.supportedGenerationMethods)) item.supported_generation_methods = m.supportedGenerationMethods;
      return item;
    });
  return { body: JSON.stringify({ object: 'list', data }), usage: null };
}
