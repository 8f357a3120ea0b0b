import { randomBytes } from 'node:crypto';
import { LocalRouterError, toLocalRouterError, type ErrorCode } from '../errors/index.js';
import type { AttemptRecord, AuthedClient, GatewayState } from '../ingress/index.js';
import { chatFront } from '../llm-api/index.js';
import type { Attempt, CallHandler, CallRequest, PlainError, Usage } from '../model/index.js';
import { admitRequest, noProviderAvailable, planCandidates, projectInputTokens } from '../routing/index.js';
import type { SkillModelAnswer } from '../workers/index.js';

/** The model a skill's `llm` step gets when it names none. */
const DEFAULT_MODEL = 'localrouter/auto';

/**
 * A skill's `llm` step, run as `client` through the gateway's own LLM path without an HTTP hop:
 * the chat front checks the body, the client's strategy plans the candidates (a model it may not
 * use is refused, never swapped), its limits admit the call and are charged the real tokens and cost
 * afterwards, and the call is counted and logged like the client's own requests (op `chat`).
 * `signal` aborts the upstream call. Resolves with the answer's text, model, tokens and cost.
 */
export function callModelForSkill(state: GatewayState, client: AuthedClient, body: string, signal: AbortSignal): Promise<SkillModelAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const generationId = `gen-${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
    const attempts: AttemptRecord[] = [];
    let answered: { provider: string; model: string } | null = null;
    let releaseProbes = (): void => {};
    let charged = false;
    let projected = 0;
    let settled = false;
    const finish = (status: number, usage: Usage | null, costUsd: number | null, errorCode: ErrorCode | null): void => {
      releaseProbes();
      if (charged) {
        const prompt = usage?.input ?? 0;
        const completion = usage?.output ?? 0;
        state.limiter.charge(client.id, client.policy.limits, {
          input_tokens: prompt - projected, output_tokens: completion, total_tokens: prompt + completion - projected, cost: costUsd ?? 0,
        });
      }
      const last = attempts[attempts.length - 1];
      state.onRequestDone({
        id: generationId, op: 'chat', attempts, status, startMs: t0, durationMs: performance.now() - t0, ttftMs: 0, streamed: false, usage, costUsd, errorCode,
        client: client.name, provider: answered?.provider ?? last?.provider ?? null,
        model: answered !== null ? `${answered.provider}/${answered.model}` : last !== undefined ? `${last.provider}/${last.model}` : null,
        strategy: client.policy.strategy, clientId: client.id,
      });
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      const e = toLocalRouterError(err);
      finish(e.status, null, null, e.code);
      reject(e);
    };
    try {
      const tables = state.tables;
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (typeof parsed.model !== 'string' || parsed.model === '') parsed.model = DEFAULT_MODEL;
      const request = chatFront.parse(parsed, { maxMessages: tables.server.max_messages });
      const plan = planCandidates(request, { directory: state.directory, breakers: state.breakers, capabilities: tables.capabilities }, client);
      if (plan.targets.length === 0) throw noProviderAvailable(plan, state);
      releaseProbes = () => { for (const p of plan.probes) state.breakers.release(p.claims); releaseProbes = () => {}; };
      projected = projectInputTokens(body.length);
      const states = admitRequest(state, client, projected);
      charged = states.length > 0;
      const upstreamBody = { ...request.body, model: plan.targets[0]!.upstreamModel, stream: false };
      const call: CallRequest = {
        candidates: plan.targets.map((t) => ({ provider: t.provider, model: t.upstreamModel })), op: 'chat', body: JSON.stringify(upstreamBody),
        stream: false, clientWantsUsage: false, dialect: 'chat', meta: null,
      };
      const handler: CallHandler = {
        onAttempt(attempt: Attempt) {
          attempts.push({ provider: attempt.provider, model: attempt.model, status: attempt.status, code: attempt.code, durationMs: attempt.durationMs });
          if (attempt.code === null) answered = { provider: attempt.provider, model: attempt.model };
          state.onAttempt(attempt);
        },
        onStart() {
          controller.abort();
          fail(new LocalRouterError('LR_ERR_INTERNAL', 'the engine streamed an answer to a call that asked for a whole one'));
        },
        onChunk() {},
        onEnd() {},
        onResponse(status: number, _contentType: string, text: string, usage: Usage | null, costUsd: number | null) {
          if (settled) return;
          settled = true;
          finish(status, usage, costUsd, null);
          if (status < 200 || status >= 300) {
            reject(new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `the model answered with status ${status}: ${errorText(text)}`));
            return;
          }
          try {
            resolve(answerOf(text, answered, usage, costUsd));
          } catch (err) {
            reject(err);
          }
        },
        onError(err: PlainError) {
          fail(new LocalRouterError(err.code, err.message));
        },
      };
      const controller = state.engine.call(call, handler);
      const onAbort = (): void => {
        controller.abort();
        if (settled) return;
        settled = true;
        finish(499, null, null, null);
        reject(new LocalRouterError('LR_ERR_INTERNAL', 'the model call was stopped'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    } catch (err) {
      fail(err);
    }
  });
}

function answerOf(text: string, answered: { provider: string; model: string } | null, usage: Usage | null, costUsd: number | null): SkillModelAnswer {
  const parsed = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
  const content = parsed.choices?.[0]?.message?.content;
  return {
    text: typeof content === 'string' ? content : '',
    model: answered === null ? null : `${answered.provider}/${answered.model}`,
    inputTokens: usage?.input ?? 0, outputTokens: usage?.output ?? 0, costUsd: costUsd ?? 0,
  };
}

function errorText(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown } }).error;
    if (typeof e?.message === 'string') return e.message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300);
}
