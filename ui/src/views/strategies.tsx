import { useEffect, useMemo, useState } from 'react';
import type { AlignedData } from 'uplot';
import { api } from '../api';
import { TimeChart } from '../chart';
import { fmtPct } from '../format';
import { useData } from '../use-data';

interface Limit { kind: string; window: string; max: number }
interface Auto { models: string[]; strong_models: string[]; weak_models: string[]; classifier?: string; threshold?: number; strong_share?: number }
interface Strategy {
  name: string;
  allow: string[];
  deny: string[];
  limits: Limit[];
  auto: Auto;
  mcp?: { servers: string[]; deny_servers: string[]; [k: string]: unknown };
}
interface Classifier { name: string; percentiles: number[]; models: Record<string, string> | null }
interface StrategyList {
  strategies: (Strategy & { clients: string[] })[];
  default_strategy: string;
  models: string[];
  classifiers: Classifier[];
  mcp_servers: string[];
}

const KINDS = ['requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost'];
const WINDOWS = ['minute', 'hour', 'day'];

const lines = (s: string): string[] => s.split('\n').map((x) => x.trim()).filter((x) => x !== '');
const text = (l: string[] | undefined): string => (l ?? []).join('\n');

/** Strong share for a threshold, from the classifier's held-out score percentiles. */
export function strongShare(percentiles: number[], threshold: number): number {
  if (percentiles.length < 2) return NaN;
  const below = percentiles.filter((p) => p < threshold).length;
  return 1 - below / percentiles.length;
}

export function Strategies() {
  const { data, error, reload } = useData<StrategyList>('/api/strategies');
  const [selected, setSelected] = useState<string>('');
  const [draft, setDraft] = useState<Strategy | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ allowed: string[]; denied: string[] } | null>(null);

  useEffect(() => {
    if (!data) return;
    const name = selected || data.default_strategy;
    const s = data.strategies.find((x) => x.name === name) ?? data.strategies[0];
    if (s && (draft === null || draft.name !== s.name)) {
      const { clients: _clients, ...rest } = s;
      setDraft(structuredClone(rest));
      setSelected(s.name);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, selected]);

  useEffect(() => {
    if (draft === null) return;
    const ctl = new AbortController();
    const t = setTimeout(() => {
      api<{ allowed: string[]; denied: string[] }>('/api/strategy-preview', { method: 'POST', body: { strategy: { allow: draft.allow, deny: draft.deny } }, signal: ctl.signal })
        .then(setPreview, () => {});
    }, 250);
    return () => { clearTimeout(t); ctl.abort(); };
  }, [draft?.allow.join('\n'), draft?.deny.join('\n')]);

  const save = (): void => {
    if (draft === null) return;
    setMessage(null);
    api('/api/strategies', { method: 'POST', body: { strategy: draft } })
      .then(() => { setMessage(`Saved ${draft.name}; the gateway applies it within a second.`); reload(); }, (e: Error) => setMessage(e.message));
  };
  const create = (): void => {
    const name = window.prompt('Name of the new strategy (a-z, 0-9, ".", "_", "-")');
    if (!name) return;
    const s: Strategy = { name, allow: ['*'], deny: [], limits: [], auto: { models: [], strong_models: [], weak_models: [] } };
    api('/api/strategies', { method: 'POST', body: { strategy: s } }).then(() => { setSelected(name); setDraft(null); reload(); }, (e: Error) => setMessage(e.message));
  };
  const remove = (): void => {
    if (draft === null) return;
    api(`/api/strategies/${encodeURIComponent(draft.name)}`, { method: 'DELETE' }).then(() => { setSelected(''); setDraft(null); reload(); }, (e: Error) => setMessage(e.message));
  };
  const set = (patch: Partial<Strategy>): void => setDraft((d) => (d === null ? d : { ...d, ...patch }));
  const setAuto = (patch: Partial<Auto>): void => setDraft((d) => (d === null ? d : { ...d, auto: { ...d.auto, ...patch } }));
  const current = data?.strategies.find((s) => s.name === draft?.name);

  return (
    <section aria-labelledby="strategies-h">
      <h1 id="strategies-h">Strategies</h1>
      <div className="filters">
        <label htmlFor="s-pick">Strategy</label>
        <select id="s-pick" value={selected} onChange={(e) => { setSelected(e.target.value); setDraft(null); }}>
          {data?.strategies.map((s) => <option key={s.name} value={s.name}>{s.name}{s.name === data.default_strategy ? ' (default)' : ''}</option>)}
        </select>
        <button type="button" onClick={create}>New strategy</button>
        {current && <span className="muted">Followed by: {current.clients.length === 0 ? 'no client' : current.clients.join(', ')}</span>}
      </div>
      {(message ?? error) && <p role="status" className={message?.startsWith('Saved') ? 'muted' : 'error'}>{message ?? error}</p>}
      {draft && data && (
        <form onSubmit={(e) => { e.preventDefault(); save(); }} aria-label={`Edit strategy ${draft.name}`}>
          <div className="grid2">
            <div>
              <h2>Models</h2>
              <div className="field"><label htmlFor="s-allow">Allow (one pattern a line: <code>*</code>, <code>provider/*</code>, <code>provider/model</code>)</label>
                <textarea id="s-allow" value={text(draft.allow)} onChange={(e) => set({ allow: lines(e.target.value) })} /></div>
              <div className="field"><label htmlFor="s-deny">Deny (the most specific pattern wins; deny wins ties)</label>
                <textarea id="s-deny" value={text(draft.deny)} onChange={(e) => set({ deny: lines(e.target.value) })} /></div>
            </div>
            <div>
              <h2>Preview</h2>
              <p data-testid="preview-summary">A client of this strategy would see {preview ? `${preview.allowed.length} of ${preview.allowed.length + preview.denied.length}` : '…'} models.</p>
              <ul className="preview" aria-label="Models a client would see">
                {preview?.allowed.map((m) => <li key={m}>{m}</li>)}
              </ul>
              {preview && preview.denied.length > 0 && <p className="muted small">Hidden: {preview.denied.join(', ')}</p>}
            </div>
          </div>
          <h2>Limits (per client)</h2>
          <table aria-label="Limits">
            <thead><tr><th>Kind</th><th>Window</th><th>Max</th><th /></tr></thead>
            <tbody>
              {draft.limits.map((l, i) => (
                <tr key={i}>
                  <td><select aria-label={`Kind of limit ${i + 1}`} value={l.kind} onChange={(e) => set({ limits: draft.limits.map((x, j) => (j === i ? { ...x, kind: e.target.value } : x)) })}>{KINDS.map((k) => <option key={k}>{k}</option>)}</select></td>
                  <td><select aria-label={`Window of limit ${i + 1}`} value={l.window} onChange={(e) => set({ limits: draft.limits.map((x, j) => (j === i ? { ...x, window: e.target.value } : x)) })}>{WINDOWS.map((k) => <option key={k}>{k}</option>)}</select></td>
                  <td><input aria-label={`Max of limit ${i + 1}`} type="number" min="0" step="any" value={l.max} onChange={(e) => set({ limits: draft.limits.map((x, j) => (j === i ? { ...x, max: Number(e.target.value) } : x)) })} /></td>
                  <td><button type="button" onClick={() => set({ limits: draft.limits.filter((_, j) => j !== i) })}>Remove</button></td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" onClick={() => set({ limits: [...draft.limits, { kind: 'requests', window: 'minute', max: 60 }] })}>Add limit</button>
          <AutoEditor auto={draft.auto} setAuto={setAuto} classifiers={data.classifiers} />
          <h2>MCP access</h2>
          <div className="grid2">
            <div className="field"><label htmlFor="s-mcp">Servers allowed (patterns, one a line; known: {data.mcp_servers.join(', ') || 'none'})</label>
              <textarea id="s-mcp" value={text(draft.mcp?.servers ?? ['*'])} onChange={(e) => set({ mcp: { deny_servers: [], ...draft.mcp, servers: lines(e.target.value) } })} /></div>
            <div className="field"><label htmlFor="s-mcp-deny">Servers denied</label>
              <textarea id="s-mcp-deny" value={text(draft.mcp?.deny_servers)} onChange={(e) => set({ mcp: { servers: ['*'], ...draft.mcp, deny_servers: lines(e.target.value) } })} /></div>
          </div>
          <div className="actions">
            <button type="submit">Save strategy</button>
            <button type="button" onClick={() => { setDraft(null); reload(); }}>Discard changes</button>
            {draft.name !== data.default_strategy && <button type="button" className="danger" onClick={remove}>Delete strategy</button>}
          </div>
        </form>
      )}
    </section>
  );
}

function AutoEditor({ auto, setAuto, classifiers }: { auto: Auto; setAuto: (p: Partial<Auto>) => void; classifiers: Classifier[] }) {
  const c = classifiers.find((x) => x.name === auto.classifier);
  const mode = auto.strong_share !== undefined ? 'share' : 'threshold';
  const curve = useMemo<AlignedData>(() => {
    const p = c?.percentiles ?? [];
    return [p, p.map((_, i) => 1 - i / (p.length - 1))];
  }, [c]);
  const share = c && auto.threshold !== undefined ? strongShare(c.percentiles, auto.threshold) : NaN;
  return (
    <>
      <h2>Auto routing (<code>localrouter/auto</code>)</h2>
      <div className="grid2">
        <div className="field"><label htmlFor="a-models">Models in priority order (no classifier)</label>
          <textarea id="a-models" value={text(auto.models)} onChange={(e) => setAuto({ models: lines(e.target.value) })} /></div>
        <div className="field"><label htmlFor="a-strong">Strong models</label>
          <textarea id="a-strong" value={text(auto.strong_models)} onChange={(e) => setAuto({ strong_models: lines(e.target.value) })} /></div>
        <div className="field"><label htmlFor="a-weak">Weak models</label>
          <textarea id="a-weak" value={text(auto.weak_models)} onChange={(e) => setAuto({ weak_models: lines(e.target.value) })} /></div>
        <div>
          <div className="field"><label htmlFor="a-classifier">Classifier</label>
            <select id="a-classifier" value={auto.classifier ?? ''} onChange={(e) => setAuto({ classifier: e.target.value || undefined })}>
              <option value="">none (use the priority list)</option>
              {classifiers.map((x) => <option key={x.name} value={x.name}>{x.name}</option>)}
            </select></div>
          {auto.classifier && <>
            <div className="field"><label htmlFor="a-mode">Split by</label>
              <select id="a-mode" value={mode} onChange={(e) => setAuto(e.target.value === 'share' ? { strong_share: auto.strong_share ?? 0.5, threshold: undefined } : { threshold: auto.threshold ?? 0.5, strong_share: undefined })}>
                <option value="threshold">threshold on the score</option><option value="share">share of requests to the strong list</option>
              </select></div>
            {mode === 'threshold'
              ? <div className="field"><label htmlFor="a-threshold">Threshold (strong iff score ≥ threshold)</label>
                <input id="a-threshold" type="number" min="0" max="1" step="0.001" value={auto.threshold ?? ''} onChange={(e) => setAuto({ threshold: e.target.value === '' ? undefined : Number(e.target.value) })} />
                {Number.isFinite(share) && <span className="muted small" data-testid="share-estimate">About {fmtPct(share)} of requests would go to the strong list (held-out calibration).</span>}</div>
              : <div className="field"><label htmlFor="a-share">Strong share (0–1)</label>
                <input id="a-share" type="number" min="0" max="1" step="0.01" value={auto.strong_share ?? ''} onChange={(e) => setAuto({ strong_share: e.target.value === '' ? undefined : Number(e.target.value) })} /></div>}
          </>}
        </div>
      </div>
      {c && c.percentiles.length > 1 && <TimeChart title={`Calibration of ${c.name}: share routed to the strong list by threshold`} data={curve} series={[{ label: 'strong share' }]} xLabel="threshold" yLabel="strong share" height={200} />}
    </>
  );
}
