import { useEffect, useState } from 'react';
import { qs } from '../api';
import { fmtAnswerCost, fmtInt, fmtMs, fmtTime } from '../format';
import { useData } from '../use-data';

interface Attempt {
  provider: string;
  model: string;
  status: number;
  error_code: string | null;
  duration_ms: number;
}

export interface LogRow {
  seq: number;
  id: string;
  ts: number;
  client: string | null;
  provider: string | null;
  model: string | null;
  op: string;
  status: number;
  error_code: string | null;
  error_class: string | null;
  error_message: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  streamed: boolean;
  attempts: Attempt[];
  route: { classifier: string; side: string; score: number | null; threshold: number } | null;
  server: string | null;
  tool: string | null;
  request_body?: string | null;
  response_body?: string | null;
}

const SINCE = [['15m', 'last 15 minutes'], ['1h', 'last hour'], ['24h', 'last day'], ['7d', 'last week'], ['30d', 'last 30 days']] as const;
const PAGE = 100;
/** The server's bound on `q`. */
const MAX_TEXT = 200;
/** Typing pauses this long before the search is sent. */
const TEXT_DELAY_MS = 300;

export function Logs() {
  const [f, setF] = useState({ since: '24h', client: '', provider: '', model: '', status: '', kind: '', text: '' });
  const [before, setBefore] = useState<number | null>(null);
  const [open, setOpen] = useState<LogRow | null>(null);
  // The text search runs on the server, over the whole log (ids, errors, logged bodies), once typing pauses.
  const [q, setQ] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQ(f.text.trim()), TEXT_DELAY_MS);
    return () => clearTimeout(t);
  }, [f.text]);
  const clients = useData<{ clients: { name: string }[] }>('/api/clients');
  const path = `/api/logs${qs({ since: f.since, client: f.client, provider: f.provider, model: f.model, status: f.status, kind: f.kind, q, limit: PAGE, before, bodies: 1 })}`;
  const { data, error, reload } = useData<{ data: LogRow[]; next_before: number | null }>(path);
  const set = (k: keyof typeof f) => (v: string): void => { setBefore(null); setF({ ...f, [k]: v }); };
  const rows = data?.data ?? [];

  return (
    <section aria-labelledby="logs-h">
      <h1 id="logs-h">Request log</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => { e.preventDefault(); if (q === f.text.trim()) reload(); else setQ(f.text.trim()); }}>
        <label htmlFor="f-since">Time</label>
        <select id="f-since" value={f.since} onChange={(e) => set('since')(e.target.value)}>
          {SINCE.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
        <label htmlFor="f-kind">Kind</label>
        <select id="f-kind" value={f.kind} onChange={(e) => set('kind')(e.target.value)}>
          <option value="">all</option><option value="llm">LLM requests</option><option value="mcp">MCP calls</option>
        </select>
        <label htmlFor="f-client">Client</label>
        <select id="f-client" value={f.client} onChange={(e) => set('client')(e.target.value)}>
          <option value="">all</option>
          {clients.data?.clients.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
        </select>
        <label htmlFor="f-provider">Provider</label>
        <input id="f-provider" size={10} value={f.provider} onChange={(e) => set('provider')(e.target.value)} />
        <label htmlFor="f-model">Model</label>
        <input id="f-model" size={16} value={f.model} onChange={(e) => set('model')(e.target.value)} placeholder="provider/model" />
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={f.status} onChange={(e) => set('status')(e.target.value)}>
          <option value="">all</option><option value="ok">ok</option><option value="error">errors</option>
          <option value="401">401</option><option value="403">403</option><option value="429">429</option><option value="502">502</option>
        </select>
        <label htmlFor="f-text">Text</label>
        <input id="f-text" type="search" maxLength={MAX_TEXT} value={f.text} onChange={(e) => set('text')(e.target.value)} placeholder="id, error, or body text" title="Searches the whole log: ids, errors, and the bodies when the log keeps them (monitoring.log_bodies)" />
        <button type="submit">Refresh</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      <table aria-label="Requests">
        <thead><tr><th>Time</th><th>Kind</th><th>Client</th><th>Model / tool</th><th>Status</th><th>Latency</th><th>Tokens</th><th>Cost</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq} className={open?.seq === r.seq ? 'selected' : undefined}>
              <td><button type="button" className="link" onClick={() => setOpen(r)} aria-label={`Details of ${r.id}`}>{fmtTime(r.ts)}</button></td>
              <td>{r.op}</td>
              <td>{r.client ?? '–'}</td>
              <td>{r.tool ? `${r.server ?? ''}/${r.tool}` : (r.model ?? '–')}</td>
              <td><span className={`badge ${r.status < 400 ? 'ok' : 'error'}`}>{r.status}</span></td>
              <td>{fmtMs(r.latency_ms)}</td>
              <td>{r.prompt_tokens === null ? '–' : `${fmtInt(r.prompt_tokens)} → ${fmtInt(r.completion_tokens)}`}</td>
              <td>{fmtAnswerCost(r.cost_usd, r.prompt_tokens !== null)}</td>
            </tr>
          ))}
          {data && rows.length === 0 && <tr><td colSpan={8} className="muted">No requests match.</td></tr>}
        </tbody>
      </table>
      <div className="actions">
        {before !== null && <button type="button" onClick={() => setBefore(null)}>Newest</button>}
        {data?.next_before != null && data.data.length === PAGE && <button type="button" onClick={() => setBefore(data.next_before)}>Older</button>}
      </div>
      {open && <Detail row={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function Detail({ row, onClose }: { row: LogRow; onClose: () => void }) {
  return (
    <div className="detail notice" role="region" aria-label="Request details">
      <h2>Request {row.id}</h2>
      <p>{fmtTime(row.ts)} · {row.op} · client {row.client ?? '–'} · {row.streamed ? 'streamed' : 'not streamed'} · status {row.status}
        {row.error_code && <> · <code>{row.error_code}</code></>}</p>
      {row.error_message && <p className="error">{row.error_message}</p>}
      <div className="grid2">
        <div>
          <h3>Usage and cost</h3>
          <table>
            <tbody>
              <tr><th>Prompt tokens</th><td>{fmtInt(row.prompt_tokens)}</td></tr>
              <tr><th>Completion tokens</th><td>{fmtInt(row.completion_tokens)}</td></tr>
              <tr><th>Cached / reasoning</th><td>{fmtInt(row.cached_tokens)} / {fmtInt(row.reasoning_tokens)}</td></tr>
              <tr><th>Cost</th><td>{fmtAnswerCost(row.cost_usd, row.prompt_tokens !== null)}</td></tr>
              <tr><th>Latency / first token</th><td>{fmtMs(row.latency_ms)} / {fmtMs(row.ttft_ms)}</td></tr>
            </tbody>
          </table>
        </div>
        <div>
          <h3>Attempts</h3>
          <table>
            <thead><tr><th>#</th><th>Provider/model</th><th>Status</th><th>Error</th><th>Time</th></tr></thead>
            <tbody>
              {row.attempts.map((a, i) => (
                <tr key={i}><td>{i + 1}</td><td>{a.provider}/{a.model}</td><td>{a.status || '–'}</td><td>{a.error_code ?? '–'}</td><td>{fmtMs(a.duration_ms)}</td></tr>
              ))}
              {row.attempts.length === 0 && <tr><td colSpan={5} className="muted">No upstream attempt.</td></tr>}
            </tbody>
          </table>
          <h3>Route decision</h3>
          {row.route
            ? <p data-testid="route">Classifier <code>{row.route.classifier}</code> chose the <strong>{row.route.side}</strong> list (score {row.route.score === null ? 'none: it fell back' : row.route.score.toFixed(3)}, threshold {row.route.threshold.toFixed(3)}).</p>
            : <p className="muted">No classifier decision (explicit model or a plain auto list).</p>}
        </div>
      </div>
      {row.request_body && <><h3>Request body</h3><pre>{row.request_body}</pre></>}
      {row.response_body && <><h3>Response body</h3><pre>{row.response_body}</pre></>}
      <button type="button" onClick={onClose}>Close details</button>
    </div>
  );
}
