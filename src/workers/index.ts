/**
 * @module workers
 * Provider actor threads and the dispatcher interface the ingress uses to reach them, in either
 * `workers` mode (long-lived actor threads) or `inline` mode (same engine on the main thread); the
 * {@link ActorHost} that supervises every worker thread; the thread protocol and its codecs.
 */
import { ActorPool, type ActorPoolOptions } from './actor-pool.js';
import type { UpstreamDispatcher } from './dispatcher.js';
import { InlineDispatcher } from './inline-dispatcher.js';

export { FRAME, REQ_FLAG, CLIENT_DIALECT } from './protocol.js';
export type { AttemptFrame, FromActorFrame, ProviderRuntime, UpstreamCall, Usage } from './protocol.js';
export type { FrameSink, UpstreamDispatcher, DispatcherStats } from './dispatcher.js';
export { moduleBeside, spawnWorker } from './spawn-worker.js';
// mcp (issue 7): the MCP actor's frames and the batcher it shares with the provider actors.
export { MCP_FRAME } from './protocol.js';
export type {
  McpJsonRpcMessage, McpJsonText, McpServerRuntime, McpRuleRuntime, McpAccessRuntime, McpActorConfig, McpSessionInfo, McpServerStatus,
  ToMcpFrame, FromMcpFrame, McpWorkerData,
} from './protocol.js';
export { FrameBatcher } from './frame-batcher.js';
export { ActorHost, type ActorCrash, type ActorHostOptions, type ActorShutdown, type RestartPolicy } from './actor-host.js';
export {
  decodeFromMcp, decodeToMcp, describeFromMcp, describeToMcp, dispatchToMcp, encodeMcpClose, encodeMcpClosed, encodeMcpConfig, encodeMcpIntern,
  encodeMcpInterned, encodeMcpLog, encodeMcpMessage, encodeMcpOpen, encodeMcpReady, encodeMcpSample, encodeMcpSampled, encodeMcpSend, encodeMcpStatus,
  encodeMcpStatusResult, type FromMcpHandler, type McpFrameInfo, type McpLogLevel, type ToMcpHandler,
} from './mcp-codec.js';
export type { ClassifierWorkerData, FromClassifierFrame, ToClassifierFrame } from './protocol.js';
export {
  decodeFromClassifier, decodeToClassifier, encodeClassifierError, encodeClassifierLoadFailed, encodeClassifierReady, encodeClassifierResult,
  encodeClassifierScore, encodeClassifierTestCrash, encodeClassifierTestStall, type FromClassifierHandler, type ToClassifierHandler,
} from './classifier-codec.js';
export { ActorPool, InlineDispatcher };

/** The dispatcher for a configured execution mode. */
export function createDispatcher(mode: 'workers' | 'inline', opts: ActorPoolOptions): UpstreamDispatcher {
  return mode === 'inline' ? new InlineDispatcher(opts.providers) : new ActorPool(opts);
}
