/**
 * What a correct answer is. Every exchange is judged on universal rules (one answer per request, no
 * injected header, no control characters in header values, a head a node:http client can read, no
 * secret anywhere, a sane Retry-After) and on what its fault accepts (error statuses, the error body
 * shape of the route's dialect, a successful body, a stream that ends properly or with an error event).
 */
import { header, type ExchangeResult, type RawResponse } from './raw-http.js';
import { MAX_HEAD_BYTES, MAX_RETRY_AFTER_S } from './shared.js';

export type Dialect = 'openai' | 'anthropic' | 'jsonrpc' | 'oauth' | 'any';

export interface Expectation {
  /** Error shape of the route. */
  dialect: Dialect;
  /** Error statuses that are a correct answer. */
  errorStatuses?: number[];
  /** Successful answers that are correct: a chat completion, a complete SSE chat stream, any JSON, any 2xx. */
  success?: ('chat' | 'stream' | 'json' | 'any2xx')[];
  /** A 200 event stream that ends with an error event is correct. */
  streamError?: boolean;
  /** The server closing the connection without any answer is correct (malformed HTTP). */
  closeOk?: boolean;
  /** The connection must be closed by the server after the (last) answer. */
  mustClose?: boolean;
  /** Responses expected on the connection (pipelining); default 1. */
  responses?: number;
  /** Text every successful chat answer must contain (intact multi-byte characters). */
  content?: string;
  /** Largest error body accepted, bytes (default 64 KiB). */
  maxErrorBody?: number;
  /** Extra check on each response; returns problems. */
  extra?: (res: RawResponse) => string[];
}

export interface Verdict {
  lost: boolean;
  correct: boolean;
  /** Short description of what came back ("502 LR_ERR_UPSTREAM_UNREACHABLE", "200 stream [DONE]"). */
  observed: string;
  problems: string[];
}

/** Secrets that must never reach a client: the provider key, the client key, the admin token. */
export interface Secrets {
  values: string[];
}

export interface SseEvent {
  event: string | null;
  data: string | null;
}

/** SSE events of a complete body (blank-line separated; CRLF, CR or LF line ends). */
export function parseSse(text: string): { events: SseEvent[]; unterminated: string } {
  const events: SseEvent[] = [];
  const norm = text.replace(/\r\n|\r/g, '\n');
  const blocks = norm.split('\n\n');
  const unterminated = blocks.pop() ?? '';
  for (const block of blocks) {
    if (block.length === 0) continue;
    let data: string | null = null;
    let event: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) {
        const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        data = data === null ? v : `${data}\n${v}`;
      } else if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      }
    }
    events.push({ event, data });
  }
  return { events, unterminated };
}

export interface StreamCheck {
  ok: boolean;
  /** 'done' (finish_reason + [DONE]), 'error' (ends with an error event), or what is wrong. */
  ending: 'done' | 'error' | 'truncated';
  problems: string[];
  content: string;
}

/** An OpenAI chat stream: every data event JSON (or [DONE]); ends with finish_reason then [DONE], or with a final error event. */
export function checkOpenAIStream(text: string): StreamCheck {
  const { events, unterminated } = parseSse(text);
  const problems: string[] = [];
  let content = '';
  let finish = false;
  let ending: StreamCheck['ending'] = 'truncated';
  let after = 0;
  for (const ev of events) {
    if (ev.data === null) continue;
    if (ending !== 'truncated') {
      after++;
      continue;
    }
    if (ev.data === '[DONE]') {
      ending = finish ? 'done' : 'truncated';
      if (!finish) problems.push('[DONE] without any finish_reason');
      if (!finish) break;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      problems.push(`non-JSON data event ${JSON.stringify(ev.data.slice(0, 60))}`);
      continue;
    }
    const obj = parsed as { error?: { message?: unknown }; type?: unknown; choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[] };
    if (obj.error !== undefined || ev.event === 'error') {
      if (typeof obj.error?.message === 'string') ending = 'error';
      else problems.push(`error event without error.message: ${ev.data.slice(0, 120)}`);
      continue;
    }
    if (!Array.isArray(obj.choices)) {
      problems.push(`data event without choices: ${ev.data.slice(0, 80)}`);
      continue;
    }
    for (const c of obj.choices) {
      if (typeof c?.delta?.content === 'string') content += c.delta.content;
      if (c?.finish_reason !== null && c?.finish_reason !== undefined) finish = true;
    }
  }
  if (after > 0) problems.push(`${after} data event(s) after the end of the stream`);
  if (unterminated.trim().length > 0) problems.push(`unterminated last event ${JSON.stringify(unterminated.slice(0, 60))}`);
  if (ending === 'truncated' && !problems.some((p) => p.startsWith('[DONE]'))) problems.push('stream ended without [DONE] or an error event');
  return { ok: problems.length === 0, ending, problems, content };
}

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

function errorShapeProblems(dialect: Dialect, res: RawResponse, maxBody: number): { problems: string[]; code: string } {
  const problems: string[] = [];
  const text = res.body.toString('utf8');
  const ct = header(res, 'content-type') ?? '';
  if (dialect === 'any') return { problems, code: '' };
  if (!/^application\/json\b/i.test(ct)) problems.push(`error content-type "${ct.slice(0, 60)}"`);
  if (res.body.length > maxBody) problems.push(`error body of ${res.body.length} bytes (over ${maxBody})`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`error body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    return { problems, code: '' };
  }
  const b = body as Record<string, any>;
  switch (dialect) {
    case 'openai': {
      const e = b?.error;
      if (typeof e !== 'object' || e === null || typeof e.message !== 'string' || typeof e.type !== 'string') problems.push(`not an OpenAI error body: ${text.slice(0, 120)}`);
      return { problems, code: typeof e?.code === 'string' ? e.code : String(e?.type ?? '') };
    }
    case 'anthropic': {
      if (b?.type !== 'error' || typeof b?.error?.type !== 'string' || typeof b?.error?.message !== 'string') problems.push(`not an Anthropic error body: ${text.slice(0, 120)}`);
      return { problems, code: String(b?.error?.type ?? '') };
    }
    case 'jsonrpc': {
      if (b?.jsonrpc !== '2.0' || typeof b?.error?.code !== 'number' || typeof b?.error?.message !== 'string') {
        // Non-JSON-RPC answers from the gateway's HTTP layer (Host/Origin guards) are OpenAI-shaped.
        if (typeof b?.error?.message !== 'string' || typeof b?.error?.type !== 'string') problems.push(`not a JSON-RPC (or OpenAI) error body: ${text.slice(0, 120)}`);
        return { problems, code: String(b?.error?.code ?? '') };
      }
      return { problems, code: `rpc ${b.error.code}` };
    }
    case 'oauth': {
      if (typeof b?.error !== 'string' && typeof b?.error?.message !== 'string') problems.push(`not an OAuth error body: ${text.slice(0, 120)}`);
      return { problems, code: typeof b?.error === 'string' ? b.error : String(b?.error?.code ?? '') };
    }
  }
}

/** Universal rules, for every response. */
function universal(res: RawResponse, secrets: Secrets): string[] {
  const problems = [...res.headProblems];
  if (res.headBytes > MAX_HEAD_BYTES) problems.push(`response head of ${res.headBytes} bytes (node:http clients refuse over ${MAX_HEAD_BYTES})`);
  for (const [k, v] of res.headers) {
    if (k === 'x-injected' || k.startsWith('x-injected')) problems.push(`injected header "${k}: ${v.slice(0, 40)}"`);
    if (CONTROL.test(v)) problems.push(`control character in header ${k}: ${JSON.stringify(v.slice(0, 60))}`);
  }
  const whole = Buffer.concat([Buffer.from(res.headers.map(([k, v]) => `${k}: ${v}`).join('\n'), 'latin1'), res.body]).toString('latin1');
  const wholeUtf8 = res.body.toString('utf8');
  for (const s of secrets.values) {
    if (s.length > 0 && (whole.includes(s) || wholeUtf8.includes(s))) problems.push(`secret ${s.slice(0, 10)}… in the response`);
  }
  const ra = header(res, 'retry-after');
  if (ra !== undefined && (!/^\d+$/.test(ra) || Number(ra) > MAX_RETRY_AFTER_S)) problems.push(`Retry-After "${ra.slice(0, 30)}" (want whole seconds <= ${MAX_RETRY_AFTER_S})`);
  return problems;
}

function describe(res: RawResponse, detail: string): string {
  return `${res.status}${detail ? ` ${detail}` : ''}`;
}

/** Judges one exchange against what its fault accepts. */
export function judge(result: ExchangeResult, exp: Expectation, secrets: Secrets): Verdict {
  const want = exp.responses ?? 1;
  const problems: string[] = [];
  const observed: string[] = [];
  const responses = result.responses;

  if (result.connectError) return { lost: true, correct: false, observed: `connect error ${result.connectError}`, problems: [`cannot connect: ${result.connectError}`] };

  // Lost: no complete answer, and no head of one either, for a request that deserved one.
  const answered = responses.length + (result.partial ? 1 : 0);
  if (result.timedOut) {
    const head = result.partial ? ` (head ${result.partial.status} then ${result.partial.body.length} body bytes, no end)` : '';
    const what = `${responses.length}/${want} answers within ${Math.round(result.elapsedMs)} ms${head}`;
    return { lost: true, correct: false, observed: `hung: ${what}`, problems: [what] };
  }
  if (answered < want) {
    if (!(exp.closeOk && answered === 0)) {
      const ended = `${result.reset ? 'reset' : 'closed'}${took(result.closedAtMs ?? result.elapsedMs)}`;
      if (result.junkBytes > 0) {
        // Bytes came, but no complete head: the answer was cut (or is not HTTP).
        const cut = result.junk.startsWith('HTTP/') ? `${ended} inside a response head` : `unparsable bytes, then ${ended}`;
        return { lost: false, correct: false, observed: cut, problems: [`${cut}: ${JSON.stringify(result.junk.slice(0, 120))}`] };
      }
      const what = `${result.reset ? 'reset' : 'closed'} after ${answered}/${want} answers${took(result.closedAtMs ?? result.elapsedMs)}`;
      return { lost: true, correct: false, observed: what, problems: [what] };
    }
  }
  if (answered === 0) {
    // closeOk and nothing came back.
    if (result.junkBytes > 0) problems.push(`unparsable bytes: ${JSON.stringify(result.junk.slice(0, 120))}`);
    return { lost: false, correct: problems.length === 0, observed: `${result.reset ? 'reset' : 'closed'} (no answer)${took(result.closedAtMs ?? result.elapsedMs)}`, problems };
  }
  if (responses.length > want) problems.push(`${responses.length} responses to ${want} request(s): a second response (${responses[want]!.statusLine})`);
  if (result.junkBytes > 0) problems.push(`unparsable bytes after the answer: ${JSON.stringify(result.junk.slice(0, 120))}`);

  const all = result.partial ? [...responses, result.partial] : responses;
  for (const res of all.slice(0, Math.max(want, 1) + 1)) {
    problems.push(...universal(res, secrets));
    if (exp.extra) problems.push(...exp.extra(res));
    const ct = header(res, 'content-type') ?? '';
    const isStream = /^text\/event-stream/i.test(ct);
    if (res.status >= 200 && res.status < 300) {
      const success = exp.success ?? [];
      if (isStream) {
        const s = checkOpenAIStream(res.body.toString('utf8'));
        if (!res.complete) s.problems.push('stream cut (chunked body never terminated)');
        observed.push(describe(res, `stream ${s.ending}${res.complete ? '' : ' cut'}`));
        if (s.ending === 'error' && !exp.streamError) problems.push('stream ended with an error event where a successful answer was expected');
        else if (s.ending === 'done' && !success.includes('stream')) problems.push('a successful stream where an error was expected');
        problems.push(...s.problems.filter((p) => !(s.ending !== 'truncated' && p === 'stream ended without [DONE] or an error event')));
        if (s.ending === 'done' && exp.content !== undefined && !s.content.includes(exp.content)) problems.push(`stream content ${JSON.stringify(s.content.slice(0, 60))} lacks ${JSON.stringify(exp.content)}`);
      } else {
        const text = res.body.toString('utf8');
        observed.push(describe(res, res.complete ? '' : 'cut'));
        if (!res.complete) problems.push('body cut before its end');
        if (success.includes('any2xx')) continue;
        let parsed: any;
        try {
          parsed = JSON.parse(text);
        } catch {
          problems.push(`2xx body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
          continue;
        }
        if (success.includes('json')) {
          // Any JSON answer is fine (the caller checks more if it needs to).
        } else if (success.includes('chat')) {
          if (!Array.isArray(parsed?.choices) || parsed.choices.length === 0) problems.push(`2xx body is not a chat completion: ${text.slice(0, 100)}`);
          else if (exp.content !== undefined && !String(parsed.choices[0]?.message?.content ?? '').includes(exp.content)) problems.push(`content ${JSON.stringify(String(parsed.choices[0]?.message?.content).slice(0, 60))} lacks ${JSON.stringify(exp.content)}`);
        } else {
          problems.push(`2xx where an error was expected: ${text.slice(0, 100)}`);
        }
      }
    } else {
      const shape = errorShapeProblems(exp.dialect, res, exp.maxErrorBody ?? 64 * 1024);
      observed.push(describe(res, shape.code));
      problems.push(...shape.problems);
      if (!(exp.errorStatuses ?? []).includes(res.status)) problems.push(`status ${res.status} (want ${[...(exp.errorStatuses ?? []), ...((exp.success ?? []).length ? ['2xx'] : [])].join('/') || 'none'})`);
    }
  }
  if (exp.mustClose && !result.serverClosed) problems.push('connection left open after the answer (must close)');
  if (result.partial && !problems.some((p) => p.includes('cut'))) problems.push('answer cut before its end');
  const last = responses.at(-1) ?? result.partial;
  return { lost: false, correct: problems.length === 0, observed: observed.join(' + ') + took(last?.doneMs ?? result.elapsedMs), problems };
}

/** " after ~N s" for answers slower than 2 s (whole seconds, so observed answers still group). */
function took(ms: number): string {
  return ms >= 2000 ? ` after ~${Math.round(ms / 1000)} s` : '';
}
