import { useEffect, useMemo, useState } from 'react';
import type { AlignedData } from 'uplot';
import { qs } from '../api';
import { TimeChart } from '../chart';
import { fmtCost, fmtInt, fmtMs, fmtNum, fmtPct, fmtTime } from '../format';
import { useData } from '../use-data';

/** One frame of `GET /api/stats/live` (the last complete second). */
interface LiveFrame {
  t: number;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  latency_ms: { p50: number; p99: number };
  inflight: number;
}

interface Totals {
  requests: number;
  errors: number;
  cost_usd: number;
  unpriced_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: { p50: number | null; p99: number | null };
}

interface Summary {
  totals: Totals;
  health: { uptime_s: number; inflight: number; execution: string; actors: number; actor_restarts: number };
}

interface ProviderStatus {
  name: string;
  breaker: string;
  retry_in_ms: number;
  model_list_error: string | null;
  models: { model: string; breaker: string; failures: number }[];
}

interface McpServerStatus {
  name: string;
  transport: string;
  state: string;
  tools: unknown[] | number | null;
  lastError: string | null;
  restarts: number;
}

const WINDOW = 60;

/** Whole minutes since `from` (at least 1), as a `range` for the stats API. */
function minutesSince(from: Date): string {
  return `${Math.max(1, Math.ceil((Date.now() - from.getTime()) / 60_000))}m`;
}

function useLive(): { frames: LiveFrame[]; connected: boolean } {
  const [frames, setFrames] = useState<LiveFrame[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource('/api/stats/live');
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    es.onmessage = (ev: MessageEvent<string>) => {
      const f = JSON.parse(ev.data) as LiveFrame;
      setFrames((prev) => [...prev.slice(-(WINDOW - 1)), f]);
    };
    return () => es.close();
  }, []);
  return { frames, connected };
}

function usePeriodic(ms: number): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return n;
}

export function Overview() {
  const { frames, connected } = useLive();
  const tick = usePeriodic(10_000);
  const now = new Date();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const monthStart = new Date(now.getFullYear(), now.getMonth(), 1);
  // Re-read every 10 s (tick) so the day and month totals move with the traffic.
  const today = useData<Summary>(`/api/stats/summary${qs({ range: minutesSince(midnight), t: tick })}`);
  const month = useData<Summary>(`/api/stats/summary${qs({ range: minutesSince(monthStart), t: tick })}`);
  const providers = useData<{ providers: ProviderStatus[] }>(`/api/providers${qs({ t: tick })}`);
  const mcp = useData<{ servers: McpServerStatus[] }>(`/api/mcp/servers${qs({ t: tick })}`);

  const last = frames.at(-1);
  const windowSum = frames.reduce((a, f) => ({ req: a.req + f.requests, err: a.err + f.errors }), { req: 0, err: 0 });
  const chart = useMemo<AlignedData>(() => [
    frames.map((f) => f.t / 1000),
    frames.map((f) => f.requests),
    frames.map((f) => f.prompt_tokens + f.completion_tokens),
  ], [frames]);

  return (
    <section aria-labelledby="overview-h">
      <h1 id="overview-h">Overview</h1>
      <p className="muted" aria-live="polite">{connected ? `Live · updated ${last ? fmtTime(last.t) : 'every second'}` : 'Connecting to the live feed…'}</p>
      <div className="cards">
        <Card label="Requests/s" value={fmtInt(last?.requests ?? 0)} testId="rps" />
        <Card label="Tokens/s" value={fmtInt(last ? last.prompt_tokens + last.completion_tokens : 0)} testId="tps" />
        <Card label="Error rate (60 s)" value={windowSum.req === 0 ? '–' : fmtPct(windowSum.err / windowSum.req)} testId="error-rate" />
        <Card label="Latency p50 / p99" value={`${fmtMs(today.data?.totals.latency_ms.p50)} / ${fmtMs(today.data?.totals.latency_ms.p99)}`} testId="latency" />
        <Card label="Open streams" value={fmtInt(last?.inflight ?? today.data?.health.inflight ?? 0)} testId="inflight" />
        <Card label="Cost today" value={fmtCost(today.data?.totals)} testId="cost-today" />
        <Card label="Cost this month" value={fmtCost(month.data?.totals)} testId="cost-month" />
        <Card label="Requests today" value={fmtInt(today.data?.totals.requests)} testId="requests-today" />
      </div>
      <TimeChart title="Last minute: requests and tokens per second" data={chart} series={[{ label: 'requests/s' }, { label: 'tokens/s' }]} height={180} />
      <div className="columns">
        <div>
          <h2>Providers</h2>
          {providers.error && <p className="error">{providers.error}</p>}
          <table>
            <thead><tr><th>Provider</th><th>Breaker</th><th>Last error</th></tr></thead>
            <tbody>
              {providers.data?.providers.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td><span className={`badge ${p.breaker}`}>{p.breaker}</span>{p.models.length > 0 && <span className="muted"> ({p.models.length} model breakers)</span>}</td>
                  <td>{p.model_list_error ?? '–'}</td>
                </tr>
              ))}
              {providers.data?.providers.length === 0 && <tr><td colSpan={3} className="muted">No providers yet: add one under Providers.</td></tr>}
            </tbody>
          </table>
        </div>
        <div>
          <h2>MCP servers</h2>
          {mcp.error && <p className="error">{mcp.error}</p>}
          <table>
            <thead><tr><th>Server</th><th>State</th><th>Tools</th><th>Last error</th></tr></thead>
            <tbody>
              {mcp.data?.servers.map((s) => (
                <tr key={s.name}>
                  <td>{s.name} <span className="muted">{s.transport}</span></td>
                  <td><span className={`badge ${s.state}`}>{s.state}</span></td>
                  <td>{Array.isArray(s.tools) ? s.tools.length : (s.tools ?? '–')}</td>
                  <td>{s.lastError ?? '–'}</td>
                </tr>
              ))}
              {mcp.data?.servers.length === 0 && <tr><td colSpan={4} className="muted">No MCP servers configured.</td></tr>}
            </tbody>
          </table>
        </div>
      </div>
      {today.data && <p className="muted">Up {fmtNum(today.data.health.uptime_s / 3600, 1)} h · {today.data.health.execution} mode, {today.data.health.actors} actor(s), {today.data.health.actor_restarts} restart(s)</p>}
    </section>
  );
}

function Card({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="card" data-testid={testId}>
      <div className="card-label">{label}</div>
      <div className="card-value">{value}</div>
    </div>
  );
}
