import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { toLocalRouterError } from '../errors/index.js';
import { lookupModel } from '../providers/index.js';
import { writeError, writeJson, type GatewayState, type GatewayTables, type HeaderPairs } from '../ingress/index.js';

/** `GET /v1/models`: the models of every provider, as `provider/model`, filtered to what the client may use. */
export function handleModels(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  const tables = state.tables;
  let client;
  try {
    client = tables.clients.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'));
  } catch (err) {
    writeError(res, toLocalRouterError(err), cors);
    return;
  }
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  state.directory.list().then((entries) => {
    if (aborted) return;
    const data = entries.filter((e) => client.mayUse(e.id)).map((e) => describeModel(tables, e.id, e.provider, e.model));
    writeJson(res, 200, { object: 'list', data }, cors);
  }, (err: unknown) => {
    if (!aborted) writeError(res, toLocalRouterError(err), cors);
  });
}

/**
 * One `/v1/models` entry: the OpenAI fields plus what the bundled catalog knows (context length,
 * capabilities) and the price the gateway charges with (overrides included), in USD per million tokens.
 */
function describeModel(tables: GatewayTables, id: string, provider: string, model: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { id, object: 'model', created: 0, owned_by: provider };
  const known = lookupModel(tables.providerTypes.get(provider) ?? 'openai-compatible', model);
  if (known) {
    entry.name = known.name;
    entry.context_length = known.context_length;
    entry.max_output_tokens = known.max_output;
    entry.capabilities = known.capabilities;
  }
  const price = tables.prices.pricingFor(provider, model);
  if (price) entry.pricing = { ...price.pricing, source: price.source };
  return entry;
}
