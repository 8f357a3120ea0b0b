import { toLocalRouterError } from '../errors/index.js';
import { writeError, writeJson, type AdminAuth, type RouteHandler } from '../ingress/index.js';

/**
 * `GET /api/providers` (admin token): each configured provider's live health as the router sees it:
 * its own circuit breaker (connection failures), when an open breaker lets a probe through, the
 * breakers of its models that have counted failures, and the last model-list error.
 */
export function providersStatusRoute(auth: AdminAuth): RouteHandler {
  return (state, res, req, cors) => {
    try {
      auth.checkRequest(req, state.tables.clients);
    } catch (err) {
      writeError(res, toLocalRouterError(err), cors);
      return;
    }
    const entries = state.breakers.entries();
    const providers = state.directory.providerNames().map((name) => ({
      name,
      breaker: state.breakers.state(name),
      retry_in_ms: state.breakers.retryInMs(name),
      models: entries.filter((e) => e.provider === name && e.model !== null)
        .map((e) => ({ model: e.model, breaker: e.state, failures: e.failures, retry_in_ms: e.retryInMs })),
      models_known: state.directory.knowsModels(name),
      model_list_error: state.directory.lastError(name),
    }));
    writeJson(res, 200, { providers }, cors);
  };
}
