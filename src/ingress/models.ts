import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { toLocalRouterError } from '../errors/index.js';
import type { GatewayState } from './gateway-state.js';
import { writeError, writeJson, type HeaderPairs } from './http-io.js';

/** `GET /v1/models`: the models of every provider, as `provider/model`, filtered to what the client may use. */
export function handleModels(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  let client;
  try {
    client = state.clients.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'));
  } catch (err) {
    writeError(res, toLocalRouterError(err), cors);
    return;
  }
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  state.directory.list().then((entries) => {
    if (aborted) return;
    const data = entries.filter((e) => client.mayUse(e.id)).map((e) => ({
      id: e.id, object: 'model', created: 0, owned_by: e.provider,
    }));
    writeJson(res, 200, { object: 'list', data }, cors);
  }, (err: unknown) => {
    if (!aborted) writeError(res, toLocalRouterError(err), cors);
  });
}

/** `GET /health`: liveness, no auth. */
export function handleHealth(state: GatewayState, res: HttpResponse, _req: HttpRequest, cors: HeaderPairs): void {
  const uptime = (Date.now() - state.startedAt) / 1000;
  writeJson(res, 200, { status: state.shuttingDown ? 'shutting_down' : 'ok', version: state.version, uptime_s: Math.round(uptime * 10) / 10 }, cors);
}
