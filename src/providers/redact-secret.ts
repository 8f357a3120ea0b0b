/** What a redacted secret reads as. */
export const REDACTED = '[redacted]';

/**
 * Secrets shorter than this are not looked for: local servers are often given placeholder keys
 * (`ollama`, `none`) that also occur in ordinary text, and replacing those would garble it.
 */
const MIN_SECRET_LENGTH = 8;

/** `Bearer <token>` in any case, as an echoed Authorization header or a quoted one. */
const BEARER = /\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi;

/** Cheap enough for every chunk of an answer: `text` with every occurrence of `secret` replaced. */
export function redactExact(text: string, secret: string | null): string {
  if (secret === null || secret.length < MIN_SECRET_LENGTH || !text.includes(secret)) return text;
  return text.split(secret).join(REDACTED);
}

/**
 * For upstream error text (bodies passed through, messages built from them): the provider's key
 * wherever it appears, and any `Bearer <token>`, replaced with `[redacted]`.
 */
export function redactSecret(text: string, secret: string | null): string {
  const out = redactExact(text, secret);
  BEARER.lastIndex = 0;
  return BEARER.test(out) ? out.replace(BEARER, `$1${REDACTED}`) : out;
}
