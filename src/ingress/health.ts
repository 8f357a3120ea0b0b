import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { GatewayState } from './gateway-state.js';
import { writeJson, type HeaderPairs } from './http-io.js';

/** `GET /health`: liveness, no auth. */
export function handleHealth(state: GatewayState, res: HttpResponse, _req: HttpRequest, cors: HeaderPairs): void {
  const uptime = (Date.now() - state.startedAt) / 1000;
  writeJson(res, 200, { status: state.shuttingDown ? 'shutting_down' : 'ok', version: state.version, uptime_s: Math.round(uptime * 10) / 10, faults: state.faults }, cors);
}
