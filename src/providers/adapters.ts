import { LocalRouterError } from '../errors/index.js';
import type { ClientDialectName } from '../model/index.js';
import type { ProviderAdapter, WireProtocol } from './adapter.js';
import type { ClientDialect } from './client-dialect.js';
import { completionsDialect } from './completions/index.js';
import { anthropicDialect } from './anthropic/index.js';
import { responsesDialect } from './responses/index.js';
import { openAIAdapter } from './openai-compatible/openai-adapter.js';
import { openAIChatDialect } from './openai-compatible/openai-chat-dialect.js';
import { anthropicAdapter } from './anthropic/index.js';
import { ollamaAdapter } from './ollama/index.js';
import { cohereAdapter } from './cohere/index.js';
import { geminiAdapter } from './gemini/index.js';

const ADAPTERS = new Map<WireProtocol, ProviderAdapter>([
  ['openai', openAIAdapter],
  ['anthropic', anthropicAdapter],
  ['ollama', ollamaAdapter],
  ['cohere', cohereAdapter],
  ['gemini', geminiAdapter],
]);

/** Registers the adapter of a wire protocol (each native protocol registers itself here). */
export function registerAdapter(adapter: ProviderAdapter): void {
  ADAPTERS.set(adapter.protocol, adapter);
}

const DIALECTS = new Map<ClientDialectName, ClientDialect>([
  ['chat', openAIChatDialect],
  ['responses', responsesDialect],
  ['completions', completionsDialect],
  ['anthropic', anthropicDialect],
]);

/** Registers a client dialect under its name. */
export function registerDialect(dialect: ClientDialect): void {
  DIALECTS.set(dialect.name, dialect);
}

/** The client dialect answers are encoded in. */
export function dialectFor(name: ClientDialectName): ClientDialect {
  const dialect = DIALECTS.get(name);
  if (!dialect) throw new LocalRouterError('LR_ERR_INTERNAL', `no client dialect registered for "${name}"`);
  return dialect;
}

export function adapterFor(protocol: WireProtocol): ProviderAdapter {
  const adapter = ADAPTERS.get(protocol);
  if (!adapter) throw new LocalRouterError('LR_ERR_INTERNAL', `no adapter for protocol ${protocol}`);
  return adapter;
}
