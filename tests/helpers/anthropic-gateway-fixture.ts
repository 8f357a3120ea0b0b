import { startTestGateway, type GatewayFixture } from './gateway-fixture.js';
import { MOCK_ANTHROPIC_KEY } from './mock-anthropic.js';

/** A test gateway with one provider `claude` of type `anthropic` pointing at `upstreamUrl`. */
export function startAnthropicGatewayFixture(upstreamUrl: string, opts: { execution?: 'auto' | 'workers' | 'inline'; priceOverrides?: Record<string, unknown> } = {}): Promise<GatewayFixture> {
  return startTestGateway({
    providers: [{ name: 'claude', type: 'anthropic', base_url: upstreamUrl, key: MOCK_ANTHROPIC_KEY }],
    execution: opts.execution, priceOverrides: opts.priceOverrides,
  });
}
