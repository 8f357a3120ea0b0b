import { LocalRouterError } from '../errors/index.js';
import { CLIENT_DIALECT } from '../workers/protocol.js';
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

const DIALECTS = new Map<number, ClientDialect>([
  [CLIENT_DIALECT.chat, openAIChatDialect],
  [CLIENT_DIALECT.responses, responsesDialect],
  [CLIENT_DIALECT.completions, completionsDialect],
  [CLIENT_DIALECT.anthropic, anthropicDialect],
]);

/** Registers a client dialect under its flag code (`CLIENT_DIALECT`). */
export function registerDialect(dialect: ClientDialect): void {
  DIALECTS.set(CLIENT_DIALECT[dialect.name], dialect);
}

/** The client dialect for a flag code (`CLIENT_DIALECT`). */
export function dialectFor(code: number): ClientDialect {
  const dialect = DIALECTS.get(code);
  if (!dialect) throw new LocalRouterError('LR_ERR_INTERNAL', `no client dialect registered for code ${code}`);
  return dialect;
}

export function adapterFor(protocol: WireProtocol): ProviderAdapter {
  const adapter = ADAPTERS.get(protocol);
  if (!adapter) throw new LocalRouterError('LR_ERR_INTERNAL', `no adapter for protocol ${protocol}`);
  return adapter;
}
