import type { GatewayFixture, ProviderSpec } from './gateway-fixture.js';
import { startTestGateway } from './gateway-fixture.js';

export type { ProviderSpec } from './gateway-fixture.js';

/** A test gateway for any provider types (the native adapters). */
export function startNativeGateway(providers: ProviderSpec[], opts: { execution?: 'auto' | 'workers' | 'inline' } = {}): Promise<GatewayFixture> {
  return startTestGateway({ providers, execution: opts.execution });
}
