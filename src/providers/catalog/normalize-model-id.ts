const DATE_SUFFIX = /[-@](?:20\d{2}-\d{2}-\d{2}|20\d{6})$/;

/**
 * The key two spellings of one model share, for catalog lookups. Applied to the asked id and to
 * every catalog id alike, in this order:
 * 1. trim and lower-case (`GPT-4o` is `gpt-4o`);
 * 2. drop Ollama's default tag `:latest` (other tags such as `:8b` or OpenRouter's `:free` stay:
 *    they name different weights or prices);
 * 3. drop every path segment before the last `/`: vendor prefixes (`meta-llama/`, `openai/`) and
 *    Gemini's `models/`;
 * 4. drop one trailing date snapshot: `-2024-08-06`, `-20250514`, or Vertex's `@20241022`;
 * 5. drop a trailing `-latest` alias.
 * Not touched: short version suffixes such as Mistral's `-2411` or `-0905`, which would merge
 * different releases, and Anthropic's `-4-0` style aliases.
 */
export function normalizeModelId(id: string): string {
  const lower = id.trim().toLowerCase();
  let s = lower.endsWith(':latest') ? lower.slice(0, -7) : lower;
  s = s.slice(s.lastIndexOf('/') + 1);
  s = s.replace(DATE_SUFFIX, '');
  if (s.endsWith('-latest')) s = s.slice(0, -7);
  return s === '' ? lower : s;
}
