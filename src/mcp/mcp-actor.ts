/**
 * Entry of the MCP actor thread: the upstream MCP sessions and the gateway side of every client
 * session live here, off the ingress thread. Frames in, frames out, batched per event-loop turn.
 * An exception nothing here catches ends the thread; the ingress (`McpHost`) then fails the
 * requests in flight, logs the error with its stack and starts a new thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  FrameBatcher, decodeToMcp, describeFromMcp, encodeMcpIntern, encodeMcpLog, encodeMcpReady, encodeMcpSend,
  type FromMcpFrame, type McpJsonRpcMessage, type McpWorkerData, type ToMcpFrame,
} from '../workers/index.js';
import { McpCore, plainError } from './mcp-core.js';
import { McpMetrics } from './mcp-metrics.js';

/** Test hook (honoured only with `testHooks`, i.e. LOCALROUTER_TEST_HOOKS=1): a request with this method makes the thread throw from a timer. */
const TEST_CRASH_METHOD = 'localrouter/test/crash-actor';

/** The core with the crash test hook. */
class McpCoreWithTestHooks extends McpCore {
  override onMessage(session: number, message: McpJsonRpcMessage): void {
    if (message.method !== TEST_CRASH_METHOD) return super.onMessage(session, message);
    setTimeout(() => { throw new Error('test hook: MCP actor crash'); }, 0);
  }
}

const port = parentPort;
if (!port) throw new Error('mcp-actor must run in a worker thread');
const data = workerData as McpWorkerData;

const out = new FrameBatcher<FromMcpFrame>((frames) => port.postMessage(frames), null, undeliverable);
const metrics = data.metricsBuffer === null ? null : new McpMetrics(data.metricsBuffer, (names) => out.push(encodeMcpIntern(names)));
const core = new (data.testHooks ? McpCoreWithTestHooks : McpCore)(data.config, (f) => out.push(f), metrics);

port.on('message', (frames: ToMcpFrame[]) => decodeToMcp(frames, core));
out.push(encodeMcpReady());

/** A frame the port could not take (structured clone failed): a response becomes an error response, anything else a log line. */
function undeliverable(f: FromMcpFrame, err: unknown): void {
  const frame = describeFromMcp(f);
  if (frame.request !== null && frame.session !== null) {
    const error = { code: -32603, message: 'LocalRouter could not pass this answer to the client', data: { code: 'LR_ERR_INTERNAL' } };
    out.push(encodeMcpSend(frame.session, JSON.stringify({ jsonrpc: '2.0', id: frame.request, error }), frame.request, true));
  }
  out.push(encodeMcpLog('error', { err: plainError(err), frame: frame.kind }, 'a frame for the ingress could not be sent; dropped'));
}
