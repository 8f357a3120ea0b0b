/**
 * @module workers
 * Actor threads. For upstream calls, `ActorPool` is the engine (`UpstreamEngine` in src/model) in
 * `workers` mode: long-lived provider actor threads, reached through frames that never leave this
 * folder. (`inline` mode is the provider engine called directly.)
 */
export { ActorPool, type ActorPoolOptions } from './actor-pool.js';
export { moduleBeside, spawnWorker } from './spawn-worker.js';
// mcp (issue 7): the MCP actor's frames and the batcher it shares with the provider actors.
export { MCP_FRAME } from './protocol.js';
export type {
  McpJsonRpcMessage, McpJsonText, McpServerRuntime, McpRuleRuntime, McpAccessRuntime, McpActorConfig, McpSessionInfo, McpServerStatus,
  ToMcpFrame, FromMcpFrame, McpWorkerData,
} from './protocol.js';
export { FrameBatcher } from './frame-batcher.js';
