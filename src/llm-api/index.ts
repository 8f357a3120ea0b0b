/**
 * @module llm-api
 * The LLM front: the client-facing APIs (`/v1/chat/completions`, `/v1/embeddings`, `/v1/responses`,
 * `/v1/completions`, `/v1/messages` and its `count_tokens`, each also under `/api/v1`) on one shared request path (authenticate,
 * read and check the body through the API's front, plan candidates, admit against limits, call the
 * engine, write the answer with backpressure), plus `GET /v1/models` and `GET /v1/generation`, and
 * OpenRouter's `GET /api/v1/models`, `/api/v1/generation` and `/api/v1/key` in its shapes.
 * Built on the ingress; {@link callForAnswer} also serves the gateway's own calls (model lists,
 * MCP sampling).
 */
import type { Routes } from '../ingress/index.js';
import type { Monitoring } from '../metrics/index.js';
import { generationRoute, LookupGate, openRouterGenerationView } from './generation-route.js';
import { handleOpenRouterModels, openRouterKeyRoute } from './openrouter-routes.js';
import { anthropicFront, chatFront, completionsFront, countTokensFront, embeddingsFront, responsesFront } from './llm-fronts.js';
import { llmRoute } from './llm-request.js';
import { handleModels } from './models.js';

export { anthropicFront, chatFront, completionsFront, embeddingsFront, responsesFront, type FrontRequest, type LlmFront } from './llm-fronts.js';
export { callForAnswer, type WholeAnswer } from './whole-answer.js';

/**
 * The LLM front's routes; `/v1/generation` reads the request log of `monitoring` (none when it is
 * off). Every route is also served under OpenRouter's base path `/api/v1`, where the read-only ones
 * (`models`, `generation`, `key`) answer in OpenRouter's shapes: an OpenRouter client pointed at
 * `http://localhost:3625/api/v1` works unchanged.
 */
export function llmRoutes(monitoring: Monitoring | null): Routes {
  const calls: Routes = {
    '/v1/chat/completions': { post: llmRoute(chatFront) },
    '/v1/embeddings': { post: llmRoute(embeddingsFront) },
    '/v1/responses': { post: llmRoute(responsesFront) },
    '/v1/completions': { post: llmRoute(completionsFront) },
    '/v1/messages': { post: llmRoute(anthropicFront) },
    '/v1/messages/count_tokens': { post: llmRoute(countTokensFront) },
  };
  // One bound for both generation routes: they read the same store.
  const lookups = new LookupGate();
  const routes: Routes = {
    ...calls,
    '/v1/models': { get: handleModels },
    '/v1/generation': { get: generationRoute(monitoring, undefined, lookups) },
    '/api/v1/models': { get: handleOpenRouterModels },
    '/api/v1/generation': { get: generationRoute(monitoring, openRouterGenerationView, lookups) },
    '/api/v1/key': { get: openRouterKeyRoute(monitoring) },
  };
  for (const [path, methods] of Object.entries(calls)) routes[`/api${path}`] = methods;
  return routes;
}
