import type { RequestOutcome } from '../ingress/index.js';

/**
 * One access-log line for a finished request, never its bodies: when it ended, status, operation,
 * client, the `provider/model` that answered (or was tried last), duration, time to first token, tokens in/out,
 * cost, generation id, and the gateway's error code when it answered with one. Fields are
 * space-separated; a missing one is `-`.
 */
export function accessLogLine(o: RequestOutcome, endedAt: Date = new Date()): string {
  const last = o.attempts.at(-1);
  const model = o.model ?? (last === undefined ? '-' : `${last.provider}/${last.model}`);
  const tokens = o.usage === null ? '-' : `${o.usage.input}/${o.usage.output}`;
  const cost = o.costUsd === null ? '-' : `$${o.costUsd.toFixed(6)}`;
  return [
    endedAt.toISOString(), String(o.status), o.op, o.client ?? '-', model,
    `${o.durationMs.toFixed(1)}ms`, o.ttftMs > 0 ? `ttft=${o.ttftMs.toFixed(1)}ms` : 'ttft=-',
    `tok=${tokens}`, `cost=${cost}`, o.id, ...(o.errorCode === null ? [] : [o.errorCode]),
  ].join(' ') + '\n';
}
