/**
 * @module workers
 * Actor threads. For upstream calls, `ActorPool` is the engine (`UpstreamEngine` in src/model) in
 * `workers` mode: long-lived provider actor threads, reached through frames that never leave this
 * folder. (`inline` mode is the provider engine called directly.) {@link ActorHost} supervises every
 * worker thread; the thread protocol and its codecs live here too.
 */
export { ActorPool, type ActorPoolOptions } from './actor-pool.js';
export { moduleBeside, spawnWorker } from './spawn-worker.js';
// The MCP actor's frames and the batcher every actor shares.
export { MCP_FRAME } from './protocol.js';
export type {
  McpJsonRpcMessage, McpJsonText, McpServerRuntime, McpRuleRuntime, McpAccessRuntime, McpActorConfig, McpSessionInfo, McpServerStatus, McpOAuthState,
  ToMcpFrame, FromMcpFrame, McpWorkerData, McpCallInfo, McpToolShape, SkillModelAnswer, SkillRunInfo, SkillStepRecord,
} from './protocol.js';
export { FrameBatcher } from './frame-batcher.js';
export { ActorHost, type ActorCrash, type ActorHostOptions, type ActorShutdown, type RestartPolicy } from './actor-host.js';
export {
  decodeFromMcp, decodeToMcp, describeFromMcp, describeToMcp, dispatchToMcp, encodeMcpCall, encodeMcpClose, encodeMcpClosed, encodeMcpConfig, encodeMcpIntern,
  encodeMcpInterned, encodeMcpLog, encodeMcpOAuthSaved, encodeMcpMessage, encodeMcpOpen, encodeMcpReady, encodeMcpSample, encodeMcpSampled, encodeMcpSend, encodeMcpStatus,
  encodeMcpStatusResult, encodeMcpModelAnswer, encodeMcpModelCall, encodeMcpModelCancel, encodeMcpToolAdmit, encodeMcpToolAdmitted, type FromMcpHandler, type McpFrameInfo, type McpLogLevel, type ToMcpHandler,
} from './mcp-codec.js';
export type { ClassifierWorkerData, FromClassifierFrame, ToClassifierFrame } from './protocol.js';
export {
  decodeFromClassifier, decodeToClassifier, encodeClassifierError, encodeClassifierLoadFailed, encodeClassifierReady, encodeClassifierResult,
  encodeClassifierScore, encodeClassifierTestCrash, encodeClassifierTestStall, type FromClassifierHandler, type ToClassifierHandler,
} from './classifier-codec.js';
