import type { HttpRequest } from 'uWebSockets.js';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import { readBody, writeError, writeJson, type AdminAuth, type GatewayState, type HeaderPairs, type RouteHandler } from '../ingress/index.js';

/** Largest JSON body an admin call accepts. */
const ADMIN_BODY_BYTES = 256 * 1024;

/** What an admin call sees of its request: everything is read before the body arrives. */
export interface AdminCall {
  state: GatewayState;
  /** Path segments after the route's prefix (`/api/clients/c_1/rotate` under `/api/clients` → `['c_1', 'rotate']`). */
  rest: string[];
  query: URLSearchParams;
  /** The parsed JSON body of a POST (an object), `{}` for other methods or an empty body. */
  body: Record<string, unknown>;
  method: string;
  host: string;
  cookie: string;
  origin: string;
  /** `Sec-Fetch-Site`. */
  fetchSite: string;
}

/** What a handler answers: a JSON body, optionally with a status and extra headers. */
export interface AdminAnswer {
  status?: number;
  body: unknown;
  headers?: HeaderPairs;
}

export type AdminFn = (call: AdminCall) => unknown;

/**
 * An admin route: the admin check (token or dashboard session with CSRF), then the JSON body of a
 * POST (an object, at most 256 KB), then `fn`, whose value (or {@link AdminAnswer} from
 * {@link answer}) is the JSON answer. Errors become OpenAI-shaped error answers; nothing is written
 * after the client went away. `skipAuth` is for the login call itself.
 */
export function adminRoute(auth: AdminAuth, prefix: string, fn: AdminFn, skipAuth = false): RouteHandler {
  return (state, res, req, cors) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const fail = (err: unknown): void => { if (!aborted) writeError(res, toLocalRouterError(err), cors); };
    const done = (value: unknown): void => {
      if (aborted) return;
      const a = value instanceof Answer ? value : new Answer({ body: value });
      writeJson(res, a.status ?? 200, a.body, [...cors, ['cache-control', 'no-store'], ...(a.headers ?? [])]);
    };
    let call: AdminCall;
    try {
      if (!skipAuth) auth.checkRequest(req, state.tables.clients);
      call = callOf(state, req, prefix);
    } catch (err) {
      fail(err);
      return;
    }
    const run = (): void => {
      try {
        Promise.resolve(fn(call)).then(done, fail);
      } catch (err) {
        fail(err);
      }
    };
    if (call.method !== 'post') return run();
    readBody(res, ADMIN_BODY_BYTES, (err, raw) => {
      if (aborted) return;
      if (err) return fail(err);
      try {
        call.body = parseObject(raw!);
      } catch (e) {
        return fail(e);
      }
      run();
    });
  };
}

class Answer implements AdminAnswer {
  status?: number;
  body: unknown;
  headers?: HeaderPairs;
  constructor(a: AdminAnswer) {
    this.status = a.status;
    this.body = a.body;
    this.headers = a.headers;
  }
}

/** An answer with a status or headers besides the JSON body. */
export function answer(a: AdminAnswer): unknown {
  return new Answer(a);
}

function callOf(state: GatewayState, req: HttpRequest, prefix: string): AdminCall {
  const url = req.getUrl();
  const rest = url.startsWith(`${prefix}/`) ? url.slice(prefix.length + 1).split('/').filter((s) => s !== '') : [];
  return {
    state, rest: rest.map(decodeSegment), query: new URLSearchParams(req.getQuery() ?? ''), body: {},
    method: req.getMethod().toLowerCase(), host: req.getHeader('host'), cookie: req.getHeader('cookie'),
    origin: req.getHeader('origin'), fetchSite: req.getHeader('sec-fetch-site'),
  };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'malformed path segment');
  }
}

function parseObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_JSON', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A string field of a body, or an error naming it. */
export function stringField(body: Record<string, unknown>, name: string, opts: { optional?: boolean; max?: number } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (opts.optional) return undefined;
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${name} is required`, { param: name });
  }
  if (typeof v !== 'string' || v.length > (opts.max ?? 1000)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${name} must be a string of at most ${opts.max ?? 1000} characters`, { param: name });
  return v;
}
