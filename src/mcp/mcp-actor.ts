/**
 * Entry of the MCP actor thread: the upstream MCP sessions and the gateway side of every client
 * session live here, off the ingress thread. Frames in, frames out, batched per event-loop turn.
 * An exception nothing here catches ends the thread; the ingress (`McpHost`) then fails the
 * requests in flight, logs the error with its stack and starts a new thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrameBatcher, MCP_FRAME, type FromMcpFrame, type McpWorkerData, type ToMcpFrame } from '../workers/index.js';
import { McpCore, plainError } from './mcp-core.js';
import { McpMetrics } from './mcp-metrics.js';

/** Test hook (honoured only with `testHooks`, i.e. LOCALROUTER_TEST_HOOKS=1): a request with this method makes the thread throw from a timer. */
const TEST_CRASH_METHOD = 'localrouter/test/crash-actor';

const port = parentPort;
if (!port) throw new Error('mcp-actor must run in a worker thread');
const data = workerData as McpWorkerData;

const out = new FrameBatcher<FromMcpFrame>((frames) => port.postMessage(frames), null, undeliverable);
const metrics = data.metricsBuffer === null ? null : new McpMetrics(data.metricsBuffer, (names) => out.push([MCP_FRAME.INTERN, 0, names]));
const core = new McpCore(data.config, (f) => out.push(f), metrics);

port.on('message', (frames: ToMcpFrame[]) => {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (data.testHooks && f[0] === MCP_FRAME.MESSAGE && f[2].method === TEST_CRASH_METHOD) {
      setTimeout(() => { throw new Error('test hook: MCP actor crash'); }, 0);
      continue;
    }
    core.handle(f);
  }
});
out.push([MCP_FRAME.READY, 0]);

/** A frame the port could not take (structured clone failed): a response becomes an error response, anything else a log line. */
function undeliverable(f: FromMcpFrame, err: unknown): void {
  if (f[0] === MCP_FRAME.SEND && f[4] && f[3] !== null) {
    const error = { code: -32603, message: 'LocalRouter could not pass this answer to the client', data: { code: 'LR_ERR_INTERNAL' } };
    out.push([MCP_FRAME.SEND, f[1], JSON.stringify({ jsonrpc: '2.0', id: f[3], error }), f[3], true]);
  }
  out.push([MCP_FRAME.LOG, 0, 'error', { err: plainError(err), frame: f[0] }, 'a frame for the ingress could not be sent; dropped']);
}
