import { startTestGateway, type GatewayFixture } from './gateway-fixture.js';
import { MOCK_GEMINI_KEY } from './mock-gemini.js';

/** A test gateway with one provider `gem` of type `gemini` pointing at `upstreamUrl`. */
export function startGeminiGateway(upstreamUrl: string, opts: { execution?: 'auto' | 'workers' | 'inline' } = {}): Promise<GatewayFixture> {
  return startTestGateway({ providers: [{ name: 'gem', type: 'gemini', base_url: upstreamUrl, key: MOCK_GEMINI_KEY }], execution: opts.execution });
}
