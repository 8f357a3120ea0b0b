import { LocalRouterError } from '../errors/index.js';

/** Where a request's `model` goes: the provider, and the model id the upstream knows. */
export interface ResolvedModel {
  provider: string;
  upstreamModel: string;
  /** `provider/model`, the id used for access checks, metrics and `/v1/models`. */
  id: string;
}

/** What model resolution needs to know about providers. */
export interface ModelLookup {
  /** Enabled provider names, in config order. */
  providerNames(): readonly string[];
  /** Providers (in config order) whose known model list contains `model`. */
  providersListing(model: string): readonly string[];
  /** True when the provider's model list is known (static or fetched) and not empty. */
  knowsModels(provider: string): boolean;
}

/**
 * Resolves `provider/model` or a bare model id. A bare id goes to the first provider that lists it,
 * or to the only provider when there is just one and its model list is unknown. Throws 404 for unknown models and 403 for models
 * the client may not use.
 */
export function resolveModel(model: string, lookup: ModelLookup, mayUse: (id: string) => boolean): ResolvedModel {
  const names = lookup.providerNames();
  const slash = model.indexOf('/');
  let resolved: ResolvedModel | null = null;
  if (slash > 0) {
    const provider = model.slice(0, slash);
    if (names.includes(provider)) resolved = { provider, upstreamModel: model.slice(slash + 1), id: model };
  }
  if (resolved === null) {
    const only = names.length === 1 && !lookup.knowsModels(names[0]!) ? names[0] : undefined;
    const provider = lookup.providersListing(model)[0] ?? only;
    if (provider === undefined) {
      throw new LocalRouterError('LR_ERR_MODEL_NOT_FOUND',
        `model "${model}" not found: use "provider/model" or a model id from GET /v1/models`, { param: 'model' });
    }
    resolved = { provider, upstreamModel: model, id: `${provider}/${model}` };
  }
  if (resolved.upstreamModel.length === 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `model "${model}" names no model after the provider`, { param: 'model' });
  }
  if (!mayUse(resolved.id)) {
    throw new LocalRouterError('LR_ERR_FORBIDDEN', `this API key may not use model "${resolved.id}"`, { param: 'model' });
  }
  return resolved;
}
