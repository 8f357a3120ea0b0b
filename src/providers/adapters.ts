import { LocalRouterError } from '../errors/index.js';
import type { ProviderAdapter, WireProtocol } from './adapter.js';
import { openAIAdapter } from './openai-compatible/openai-adapter.js';

const ADAPTERS = new Map<WireProtocol, ProviderAdapter>([
  ['openai', openAIAdapter],
]);

/** Registers the adapter of a wire protocol (each native protocol registers itself here). */
export function registerAdapter(adapter: ProviderAdapter): void {
  ADAPTERS.set(adapter.protocol, adapter);
}

export function adapterFor(protocol: WireProtocol): ProviderAdapter {
  const adapter = ADAPTERS.get(protocol);
  if (!adapter) throw new LocalRouterError('LR_ERR_INTERNAL', `no adapter for protocol ${protocol}`);
  return adapter;
}
