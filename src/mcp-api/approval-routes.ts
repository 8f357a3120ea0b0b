import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import { readBody, writeError, writeJson, type AdminAuth, type RouteHandler, type Routes } from '../ingress/index.js';
import type { Approvals, ApprovalScope } from './approvals.js';
import { tooDeepBody } from './mcp-auth.js';

/** Largest approve/deny body (edited arguments included). */
const APPROVAL_BODY_BYTES = 1024 * 1024;
const SCOPES: readonly ApprovalScope[] = ['once', 'session', 'always'];

/**
 * The approvals admin API (admin token or dashboard session with CSRF):
 * - `GET /api/approvals`: the calls waiting for approval, oldest first;
 * - `POST /api/approvals/<id>` `{ "decision": "approve", "scope": "once"|"session"|"always", "arguments"?: {...} }`
 *   or `{ "decision": "deny", "reason"?: "..." }`: answers one (404 when it is no longer waiting).
 */
export function approvalRoutes(auth: AdminAuth, approvals: Approvals): Routes {
  const list: RouteHandler = (state, res, req, cors) => {
    try {
      auth.checkRequest(req, state.tables.clients);
      writeJson(res, 200, { data: approvals.list() }, [...cors, ['cache-control', 'no-store']]);
    } catch (err) {
      writeError(res, toLocalRouterError(err), cors);
    }
  };
  const answer: RouteHandler = (state, res, req, cors) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const fail = (err: unknown): void => { if (!aborted) writeError(res, toLocalRouterError(err), cors); };
    let id: string;
    try {
      auth.checkRequest(req, state.tables.clients);
      id = approvalId(req.getUrl());
    } catch (err) {
      fail(err);
      return;
    }
    readBody(res, APPROVAL_BODY_BYTES, (err, raw) => {
      if (aborted) return;
      if (err) return fail(err);
      if (tooDeepBody(raw!, state.tables.server.max_json_depth) !== null) {
        return fail(new LocalRouterError('LR_ERR_BAD_REQUEST', `the body is nested deeper than ${state.tables.server.max_json_depth} levels (server.max_json_depth)`));
      }
      let decided: Promise<unknown>;
      try {
        decided = decide(approvals, id, bodyOf(raw!));
      } catch (e) {
        return fail(e);
      }
      decided.then((approval) => {
        if (!aborted) writeJson(res, 200, { approval }, [...cors, ['cache-control', 'no-store']]);
      }, fail);
    }, undefined, Number(req.getHeader('content-length')) || 0);
  };
  return { '/api/approvals': { get: list }, '/api/approvals/*': { post: answer } };
}

function decide(approvals: Approvals, id: string, body: Record<string, unknown>): Promise<unknown> {
  const decision = body.decision;
  if (decision === 'deny') {
    const reason = body.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1000)) {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'reason must be a string of at most 1000 characters', { param: 'reason' });
    }
    return Promise.resolve(approvals.deny(id, reason));
  }
  if (decision !== 'approve') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'decision must be "approve" or "deny"', { param: 'decision' });
  const scope = body.scope ?? 'once';
  if (!SCOPES.includes(scope as ApprovalScope)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `scope must be one of: ${SCOPES.join(', ')}`, { param: 'scope' });
  const args = body.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'arguments must be a JSON object', { param: 'arguments' });
  }
  return approvals.approve(id, scope as ApprovalScope, args as Record<string, unknown> | undefined);
}

function approvalId(url: string): string {
  try {
    return decodeURIComponent(url.slice('/api/approvals/'.length).replace(/\/+$/, ''));
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'malformed approval id');
  }
}

function bodyOf(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_JSON', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
