/**
 * What a client or an upstream sends never reaches a header, a log label or a metric label as is:
 * names are checked against an allow-list of characters and a bounded length, and free text is
 * stripped of control characters and cut.
 */

/** Longest model id accepted from a client (`provider/model`, OpenRouter style, with room to spare). */
export const MAX_MODEL_ID_LENGTH = 256;

/**
 * Characters a model id may hold: letters, digits and `. _ - / : @ + =` plus `~` and `,`: what the
 * providers' own ids use (`meta-llama/Llama-3.1-8B-Instruct:free`, `gpt-4o@2024-08-06`, `qwen2.5:7b`).
 */
const MODEL_ID = /^[A-Za-z0-9._\-/:@+=~,]+$/;

/** Why `id` is not an acceptable model id, or null when it is. */
export function modelIdProblem(id: string): string | null {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_MODEL_ID_LENGTH) return `is ${id.length} characters long; at most ${MAX_MODEL_ID_LENGTH} are accepted`;
  if (!MODEL_ID.test(id)) return 'may hold only letters, digits and . _ - / : @ + = ~ ,';
  return null;
}

/** A header value: visible ASCII and spaces only, at most `max` characters. */
export function headerSafe(value: string, max = 512): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(cut) ? cut : cut.replace(/[^\x20-\x7e]/g, '?');
}

/** A label or log field: control characters replaced, at most `max` characters (with an ellipsis when cut). */
export function labelSafe(value: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = /[\x00-\x1f\x7f]/.test(value) ? value.replace(/[\x00-\x1f\x7f]/g, '?') : value;
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
