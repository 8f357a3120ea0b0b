import type { TranslateContext } from '../../src/providers/adapter.js';
import type { WireProtocol } from '../../src/model/index.js';

/** A deterministic translation context: a fixed clock and sequential ids (`chatcmpl-1`, `call_2`...). */
export function testContext(protocol: WireProtocol, opts: { model?: string; stream?: boolean; clientWantsUsage?: boolean; baseUrl?: string } = {}): TranslateContext {
  let n = 0;
  return {
    provider: {
      name: 'p', type: protocol, protocol, prices: {}, baseUrl: opts.baseUrl ?? 'http://127.0.0.1:11434', apiKey: null, headers: {},
      connectTimeoutMs: 1000, maxConnections: 16, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000,
    },
    model: opts.model ?? 'm',
    stream: opts.stream ?? true,
    clientWantsUsage: opts.clientWantsUsage ?? false,
    now: () => 1_761_000_000_000,
    newId: (prefix) => `${prefix}${++n}`,
  };
}
