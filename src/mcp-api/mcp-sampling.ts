import type { CallRequest } from '../model/index.js';
import { admitRequest, noProviderAvailable, planCandidates, projectInputTokens } from '../routing/index.js';
import type { AuthedClient, GatewayState } from '../ingress/index.js';
import { callForAnswer, chatFront } from '../llm-api/index.js';

/**
 * `mcp.sampling: gateway`: answers an upstream MCP server's `sampling/createMessage` through
 * LocalRouter's own LLM path, as the client whose call caused it (its strategy, model rules and
 * limits apply), without an HTTP hop: the same front, candidate plan and actors as
 * `POST /v1/chat/completions`. `body` is the OpenAI chat body the MCP actor made of the request;
 * an empty or disallowed `model` becomes `fallbackModel`. Resolves with the chat completion JSON.
 */
export function sampleThroughGateway(state: GatewayState, client: AuthedClient, body: string, fallbackModel: string): Promise<string> {
  return new Promise((resolve, reject) => {
    try {
      const tables = state.tables;
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (typeof parsed.model !== 'string' || parsed.model === '' || !client.mayUse(parsed.model)) parsed.model = fallbackModel;
      const request = chatFront.parse(parsed, { maxMessages: tables.server.max_messages });
      const plan = planCandidates(request, { directory: state.directory, breakers: state.breakers, capabilities: tables.capabilities }, client);
      if (plan.targets.length === 0) throw noProviderAvailable(plan, state);
      // Probe slots the plan claimed are handed back when the call ends (settled ones are free already).
      const releaseProbes = (): void => { for (const p of plan.probes) state.breakers.release(p.claims); };
      try {
        admitRequest(state, client, projectInputTokens(body.length));
      } catch (err) {
        releaseProbes();
        throw err;
      }
      const upstreamBody = { ...request.body, model: plan.targets[0]!.upstreamModel, stream: false };
      const candidates = plan.targets.map((t) => ({ provider: t.provider, model: t.upstreamModel }));
      const call: CallRequest = { candidates, op: 'chat', body: JSON.stringify(upstreamBody), stream: false, clientWantsUsage: false, dialect: 'chat', meta: null };
      callForAnswer(state.engine, call, (attempt) => state.onAttempt(attempt)).then((answer) => {
        releaseProbes();
        if (answer.status >= 200 && answer.status < 300) resolve(answer.body);
        else reject(new Error(`the model answered with status ${answer.status}`));
      }, (err: unknown) => {
        releaseProbes();
        reject(err);
      });
    } catch (err) {
      reject(err);
    }
  });
}
