import { useEffect, useMemo, useState } from 'react';
import type { AlignedData } from 'uplot';
import { api, qs } from '../api';
import { TimeChart } from '../chart';
import { fmtCost, fmtInt } from '../format';
import { useData } from '../use-data';

const RANGES = [['1h', 'Hour', '1m'], ['1d', 'Day', '15m'], ['7d', 'Week', '1h'], ['30d', 'Month', '1d']] as const;
const DIMENSIONS = [['all', 'Everything'], ['client', 'Client'], ['provider', 'Provider'], ['model', 'Model'], ['strategy', 'Strategy'], ['server', 'MCP server'], ['tool', 'MCP tool']] as const;
const METRICS = [['requests', 'Requests'], ['tokens', 'Tokens'], ['cost_usd', 'Cost (USD)'], ['unpriced_requests', 'Unpriced requests'], ['errors', 'Errors'], ['error_rate', 'Error rate'], ['latency_p50', 'Latency p50 (ms)'], ['latency_p99', 'Latency p99 (ms)'], ['ttft_p50', 'First token p50 (ms)']] as const;
/** Series drawn at once for a dimension: its busiest keys. */
const TOP_SERIES = 6;

type Dim = (typeof DIMENSIONS)[number][0];

interface Point { t: number; value: number | null }
interface SeriesAnswer { step_ms: number; points: Point[] }
interface TopRow { key: string; requests: number; errors: number; cost_usd: number; unpriced_requests: number; prompt_tokens: number; completion_tokens: number }
interface Summary {
  by_client: TopRow[]; by_provider: TopRow[]; by_model: TopRow[]; by_strategy: TopRow[]; by_server: TopRow[]; by_tool: TopRow[];
}

function topOf(s: Summary | null, d: Dim): TopRow[] {
  if (s === null || d === 'all') return [];
  return ({ client: s.by_client, provider: s.by_provider, model: s.by_model, strategy: s.by_strategy, server: s.by_server, tool: s.by_tool })[d];
}

/** Several series of one metric over one range, aligned on their common time axis. */
function useSeries(metric: string, dimension: Dim, ids: string[], range: string, step: string): { data: AlignedData; labels: string[]; error: string | null } {
  const [out, setOut] = useState<{ data: AlignedData; labels: string[]; error: string | null }>({ data: [[]], labels: [], error: null });
  const key = ids.join('\u0000');
  useEffect(() => {
    const ctl = new AbortController();
    const wanted = dimension === 'all' ? [''] : ids;
    Promise.all(wanted.map((id) => api<SeriesAnswer>(`/api/stats/timeseries${qs({ metric, dimension, id, range, step })}`, { signal: ctl.signal })))
      .then((answers) => {
        const xs = answers[0]?.points.map((p) => p.t / 1000) ?? [];
        const ys = answers.map((a) => a.points.map((p) => p.value));
        setOut({ data: [xs, ...ys] as AlignedData, labels: dimension === 'all' ? [metric] : wanted, error: null });
      }, (e: Error) => { if (!ctl.signal.aborted) setOut((o) => ({ ...o, error: e.message })); });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [metric, dimension, key, range, step]);
  return out;
}

export function Traffic() {
  const [range, setRange] = useState<(typeof RANGES)[number][0]>('1h');
  const [dimension, setDimension] = useState<Dim>('all');
  const [metric, setMetric] = useState<string>('requests');
  const step = RANGES.find((r) => r[0] === range)![2];
  const summary = useData<Summary>(`/api/stats/summary${qs({ range })}`);
  const top = topOf(summary.data, dimension).slice(0, TOP_SERIES);
  const ids = useMemo(() => top.map((t) => t.key), [top.map((t) => t.key).join('\u0000')]);
  const series = useSeries(metric, dimension, ids, range, step);
  const perDay = useSeries('cost_usd', 'all', [], '30d', '1d');
  const spenders = [...(summary.data?.by_client ?? [])].sort((a, b) => b.cost_usd - a.cost_usd).slice(0, 10);
  const metricLabel = METRICS.find((m) => m[0] === metric)![1];

  return (
    <section aria-labelledby="traffic-h">
      <h1 id="traffic-h">Traffic</h1>
      <div className="filters" role="group" aria-label="Chart settings">
        <span id="range-l">Range</span>
        <div role="radiogroup" aria-labelledby="range-l" className="actions">
          {RANGES.map(([v, l]) => (
            <button key={v} type="button" role="radio" aria-checked={range === v} className={range === v ? 'primary' : undefined} onClick={() => setRange(v)}>{l}</button>
          ))}
        </div>
        <label htmlFor="t-dim">By</label>
        <select id="t-dim" value={dimension} onChange={(e) => setDimension(e.target.value as Dim)}>
          {DIMENSIONS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
        <label htmlFor="t-metric">Metric</label>
        <select id="t-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
          {METRICS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
      </div>
      {(series.error ?? summary.error) && <p role="alert" className="error">{series.error ?? summary.error}</p>}
      {dimension !== 'all' && ids.length === 0
        ? <p className="muted">No traffic by {dimension} in this range.</p>
        : <TimeChart title={`${metricLabel}${dimension === 'all' ? '' : ` by ${dimension} (top ${ids.length})`}, per ${step}`} data={series.data} series={series.labels.map((l) => ({ label: l }))} />}
      <div className="columns">
        <div>
          <h2>Top spenders ({RANGES.find((r) => r[0] === range)![1].toLowerCase()})</h2>
          <table aria-label="Top spenders">
            <thead><tr><th>Client</th><th>Cost</th><th>Requests</th><th>Tokens</th></tr></thead>
            <tbody>
              {spenders.map((s) => <tr key={s.key}><td>{s.key}</td><td>{fmtCost(s)}</td><td>{fmtInt(s.requests)}</td><td>{fmtInt(s.prompt_tokens + s.completion_tokens)}</td></tr>)}
              {spenders.length === 0 && <tr><td colSpan={4} className="muted">No traffic in this range.</td></tr>}
            </tbody>
          </table>
        </div>
        <TimeChart title="Cost per day (30 days)" data={perDay.data} series={[{ label: 'USD' }]} bars height={200} />
      </div>
    </section>
  );
}
