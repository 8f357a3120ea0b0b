/**
 * Entry of the MCP actor thread: the upstream MCP sessions and the gateway side of every client
 * session live here, off the ingress thread. Frames in, frames out, batched per event-loop turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrameBatcher, MCP_FRAME, type FromMcpFrame, type McpWorkerData, type ToMcpFrame } from '../workers/index.js';
import { McpCore } from './mcp-core.js';
import { McpMetrics } from './mcp-metrics.js';

const port = parentPort;
if (!port) throw new Error('mcp-actor must run in a worker thread');
const data = workerData as McpWorkerData;

const out = new FrameBatcher<FromMcpFrame>((frames) => port.postMessage(frames));
const metrics = data.metricsBuffer === null ? null : new McpMetrics(data.metricsBuffer, (names) => out.push([MCP_FRAME.INTERN, 0, names]));
const core = new McpCore(data.config, (f) => out.push(f), metrics);

port.on('message', (frames: ToMcpFrame[]) => {
  for (let i = 0; i < frames.length; i++) core.handle(frames[i]!);
});
out.push([MCP_FRAME.READY, 0]);
