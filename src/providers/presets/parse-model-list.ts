/**
 * Model ids from any model-list body the presets point at, or `null` when the body has none of the
 * known shapes:
 * - OpenAI, Anthropic and every OpenAI-style server: `{ data: [{ id }] }`;
 * - Ollama `/api/tags`, Cohere `/v1/models`, Gemini `/models`: `{ models: [{ name }] }` (Ollama also
 *   has `model`; Gemini names carry a `models/` prefix, removed here because requests omit it);
 * - GitHub Models `/catalog/models`: a bare array `[{ id }]`.
 */
export function parseModelList(body: unknown): string[] | null {
  let items: unknown;
  if (Array.isArray(body)) items = body;
  else if (isRecord(body) && Array.isArray(body.data)) items = body.data;
  else if (isRecord(body) && Array.isArray(body.models)) items = body.models;
  else return null;

  const ids: string[] = [];
  for (const item of items as unknown[]) {
    if (!isRecord(item)) continue;
    const id = firstString(item.id, item.name, item.model);
    if (id !== null) ids.push(id.startsWith('models/') ? id.slice(7) : id);
  }
  return ids;
}

/** The `owned_by` values of an OpenAI-style list; servers on a shared port are told apart by them. */
export function listOwners(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.data)) return [];
  const out: string[] = [];
  for (const item of body.data as unknown[]) {
    if (isRecord(item) && typeof item.owned_by === 'string') out.push(item.owned_by);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstString(...values: unknown[]): string | null {
  for (const v of values) if (typeof v === 'string' && v.length > 0) return v;
  return null;
}
