import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, fromPlain, LocalRouterError, openAIErrorBody, toLocalRouterError } from '../../../src/errors/index.js';

describe('docs/errors.md', () => {
  it('lists exactly the codes of ERROR_CODES, with the same status, type and failure policy', () => {
    const doc = fs.readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `(LR_ERR_[A-Z_]+)` \| (\d+) \| `([a-z_]+)` \| (yes|no) \| (yes|no) \| (model|provider|none) \| `([a-zA-Z]+)` \|/gm)];
    const documented = Object.fromEntries(rows.map((r) => [r[1], {
      status: Number(r[2]), type: r[3], clientRetry: r[4] === 'yes', fallback: r[5] === 'yes', breaker: r[6], metricsClass: r[7],
    }]));
    expect(documented).toEqual(ERROR_CODES);
  });
});

describe('LocalRouterError', () => {
  it('survives a thread hop as a plain object', () => {
    const err = new LocalRouterError('LR_ERR_FORBIDDEN', 'no', { param: 'model' });
    const copy = structuredClone(err.toPlain());
    const back = fromPlain(copy);
    expect(back).toMatchObject({ code: 'LR_ERR_FORBIDDEN', status: 403, param: 'model', message: 'no', clientRetry: false });
    expect(toLocalRouterError(copy).code).toBe('LR_ERR_FORBIDDEN');
  });

  it('hides unknown errors behind LR_ERR_INTERNAL and renders the OpenAI shape', () => {
    const e = toLocalRouterError(new Error('secret path /home/x'));
    expect(e.code).toBe('LR_ERR_INTERNAL');
    expect(JSON.parse(openAIErrorBody(e))).toEqual({ error: { message: 'internal error', type: 'server_error', param: null, code: 'LR_ERR_INTERNAL' } });
  });
});
