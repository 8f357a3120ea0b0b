import { describe, expect, it } from 'vitest';
import { startGatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI } from '../helpers/mock-openai.js';

async function readAll(res: Response): Promise<string> {
  return await res.text();
}

describe('graceful shutdown', () => {
  it('stops accepting, lets open streams finish within the grace period, then ends the rest with an error event', async () => {
    const mock = await startMockOpenAI();
    const fx = await startGatewayFixture(mock.url, { server: { shutdown_grace_ms: 2000 } });
    const open = (model: string): Promise<Response> => fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    try {
      const medium = await open('mock/medium-stream');
      const slow = await open('mock/slow-stream');
      const mediumText = readAll(medium);
      const slowText = readAll(slow);
      const t0 = Date.now();
      const closing = fx.gw.close();

      // New connections are refused once shutdown starts.
      await expect(fetch(`http://127.0.0.1:${fx.gw.port}/health`)).rejects.toThrow();

      const m = await mediumText;
      expect(m.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(m.match(/"content":"t\d+ "/g)).toHaveLength(20);

      const s = await slowText;
      expect(s).toContain('"code":"LR_ERR_SHUTTING_DOWN"');
      expect(s).not.toContain('[DONE]');
      await closing;
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(6000);
    } finally {
      await fx.close();
      await mock.close();
    }
  });
});
