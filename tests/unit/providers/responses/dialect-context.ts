import type { TranslateContext } from '../../../../src/providers/index.js';
import type { ResponsesEcho } from '../../../../src/providers/responses/index.js';

/** A deterministic TranslateContext: a fixed clock and ids `<prefix>1`, `<prefix>2`... */
export function dialectContext(opts: { clientWantsUsage?: boolean; stream?: boolean; echo?: ResponsesEcho } = {}): TranslateContext & { responsesEcho?: ResponsesEcho } {
  let n = 0;
  const ctx: TranslateContext & { responsesEcho?: ResponsesEcho } = {
    // Only the name is read by the dialects; the runtime's other fields are another area's and still changing.
    provider: { name: 'mock', protocol: 'openai', baseUrl: 'http://127.0.0.1:1', apiKey: null, headers: {} } as TranslateContext['provider'],
    model: 'upstream-model',
    stream: opts.stream ?? true,
    clientWantsUsage: opts.clientWantsUsage ?? true,
    now: () => 1767225700_000,
    newId: (prefix) => `${prefix}${++n}`,
  };
  if (opts.echo) ctx.responsesEcho = opts.echo;
  return ctx;
}
