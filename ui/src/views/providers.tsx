import { useState, type FormEvent } from 'react';
import { api, qs } from '../api';
import { fmtInt } from '../format';
import { LIVE_MS, useData } from '../use-data';

interface Preset { type: string; name: string; base_url: string | null; needs_key: boolean; local: boolean; key_env: string | null; has_model_list: boolean }
interface Setting { name: string; type: string; base_url: string | null; enabled: boolean; key_source: string; needs_key: boolean; models: string[] }
interface Health { name: string; breaker: string; retry_in_ms: number; model_list_error: string | null; models: { model: string; breaker: string; failures: number }[] }
interface ModelRow { id: string; model: string; context_length: number | null; input_per_mtok: number | null; output_per_mtok: number | null; price_source: string | null }
interface TestResult { ok: boolean; models?: number; error?: string; ms?: number }

export function Providers() {
  const presets = useData<{ presets: Preset[] }>('/api/provider-presets');
  const settings = useData<{ providers: Setting[] }>('/api/provider-settings', LIVE_MS);
  const health = useData<{ providers: Health[] }>('/api/providers', LIVE_MS);
  const [message, setMessage] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [models, setModels] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const reload = (): void => { settings.reload(); health.reload(); };
  const run = async (fn: () => Promise<void>): Promise<void> => {
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setMessage((e as Error).message);
    }
    reload();
  };
  const test = (name: string): void => {
    setTests((t) => ({ ...t, [name]: 'running' }));
    api<TestResult>(`/api/providers/${encodeURIComponent(name)}/test`, { method: 'POST' })
      .then((r) => setTests((t) => ({ ...t, [name]: r })), (e: Error) => setTests((t) => ({ ...t, [name]: { ok: false, error: e.message } })))
      .finally(() => health.reload());
  };
  const healthOf = (name: string): Health | undefined => health.data?.providers.find((h) => h.name === name);

  return (
    <section aria-labelledby="providers-h">
      <h1 id="providers-h">Providers</h1>
      <AddProvider presets={presets.data?.presets ?? []} onAdded={(name) => { reload(); setMessage(`Added ${name}. It is live within a second; test its connection below.`); }} onError={setMessage} />
      {(message ?? settings.error) && <p role="status" className={message?.startsWith('Added') ? 'muted' : 'error'}>{message ?? settings.error}</p>}
      <table aria-label="Configured providers">
        <thead><tr><th>Name</th><th>Type</th><th>Base URL</th><th>Key</th><th>Breaker</th><th>Actions</th></tr></thead>
        <tbody>
          {settings.data?.providers.map((p) => {
            const h = healthOf(p.name);
            const t = tests[p.name];
            return (
              <tr key={p.name} data-provider={p.name}>
                <td>{p.name}{!p.enabled && <span className="badge disabled"> disabled</span>}</td>
                <td>{p.type}</td>
                <td className="small mono">{p.base_url ?? '–'}</td>
                <td>{keyLabel(p)}</td>
                <td>{h ? <span className={`badge ${h.breaker}`}>{h.breaker}</span> : '–'}{h?.model_list_error && <div className="small error">{h.model_list_error}</div>}
                  {h && h.models.length > 0 && <div className="small muted">{h.models.map((m) => `${m.model}: ${m.breaker}`).join(', ')}</div>}</td>
                <td>
                  <div className="actions">
                    <button type="button" onClick={() => test(p.name)} disabled={t === 'running'}>Test connection</button>
                    <button type="button" onClick={() => setModels(models === p.name ? null : p.name)} aria-expanded={models === p.name}>Models</button>
                    <button type="button" onClick={() => void run(() => api(`/api/providers/${encodeURIComponent(p.name)}`, { method: 'POST', body: { enabled: !p.enabled } }).then(() => {}))}>{p.enabled ? 'Disable' : 'Enable'}</button>
                    {confirm === p.name
                      ? <button type="button" className="danger" onClick={() => void run(async () => { await api(`/api/providers/${encodeURIComponent(p.name)}`, { method: 'DELETE' }); setConfirm(null); })}>Really delete {p.name}</button>
                      : <button type="button" onClick={() => setConfirm(p.name)}>Delete</button>}
                  </div>
                  {t !== undefined && <div role="status" className={t !== 'running' && !t.ok ? 'error small' : 'small'} data-testid={`test-${p.name}`}>
                    {t === 'running' ? 'Testing…' : t.ok ? `Connected: ${t.models} models listed in ${t.ms} ms` : `Failed: ${t.error}`}
                  </div>}
                </td>
              </tr>
            );
          })}
          {settings.data?.providers.length === 0 && <tr><td colSpan={6} className="muted">No providers yet: add one above.</td></tr>}
        </tbody>
      </table>
      {models !== null && <Models provider={models} />}
    </section>
  );
}

function keyLabel(p: Setting): string {
  if (p.key_source === 'secret_store') return 'in the secret store';
  if (p.key_source.startsWith('env:')) return `from $${p.key_source.slice(4)}`;
  if (p.key_source === 'none') return p.needs_key ? 'missing' : 'none needed';
  return p.key_source;
}

function AddProvider({ presets, onAdded, onError }: { presets: Preset[]; onAdded: (name: string) => void; onError: (m: string) => void }) {
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [key, setKey] = useState('');
  const preset = presets.find((p) => p.type === type);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const body = { type, name: name.trim() || type, ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}), ...(key.trim() ? { api_key: key.trim() } : {}) };
    api('/api/providers', { method: 'POST', body }).then(() => {
      // The key is gone from the page once it is stored.
      setKey('');
      setName('');
      setBaseUrl('');
      onAdded(body.name);
    }, (err: Error) => onError(err.message));
  };
  return (
    <form className="inline" onSubmit={submit} aria-label="Add a provider">
      <label htmlFor="p-type">Preset</label>
      <select id="p-type" value={type} onChange={(e) => setType(e.target.value)} required>
        <option value="">choose…</option>
        {presets.map((p) => <option key={p.type} value={p.type}>{p.name}{p.local ? ' (local)' : ''}</option>)}
      </select>
      <label htmlFor="p-name">Name</label>
      <input id="p-name" value={name} onChange={(e) => setName(e.target.value)} placeholder={type || 'my-provider'} size={14} />
      <label htmlFor="p-url">Base URL</label>
      <input id="p-url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder={preset?.base_url ?? 'https://…/v1'} required={preset !== undefined && preset.base_url === null} size={28} />
      <label htmlFor="p-key">API key</label>
      <input id="p-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)}
        placeholder={preset?.needs_key ? `or set $${preset.key_env ?? 'KEY'}` : 'not needed'} size={18} />
      <button type="submit" disabled={type === ''}>Add provider</button>
    </form>
  );
}

function Models({ provider }: { provider: string }) {
  const { data, error, reload } = useData<{ models: ModelRow[] }>(`/api/providers/${encodeURIComponent(provider)}/models`);
  const [price, setPrice] = useState({ model: '', input: '', output: '' });
  const [msg, setMsg] = useState<string | null>(null);
  const save = (e: FormEvent): void => {
    e.preventDefault();
    api('/api/price-overrides', { method: 'POST', body: { model: price.model, input_per_mtok: Number(price.input), output_per_mtok: Number(price.output) } })
      .then(() => { setMsg(`Price of ${price.model} saved.`); setTimeout(reload, 1200); }, (err: Error) => setMsg(err.message));
  };
  const clear = (model: string): void => {
    api(`/api/price-overrides${qs({ model })}`, { method: 'DELETE' }).then(() => { setMsg(`Override of ${model} removed.`); setTimeout(reload, 1200); }, (err: Error) => setMsg(err.message));
  };
  return (
    <div className="notice" role="region" aria-label={`Models of ${provider}`}>
      <h2>Models of {provider}</h2>
      {error && <p className="error">{error}</p>}
      <table>
        <thead><tr><th>Model</th><th>Context</th><th>Input $/M</th><th>Output $/M</th><th>Price from</th></tr></thead>
        <tbody>
          {data?.models.map((m) => (
            <tr key={m.id}><td>{m.id}</td><td>{fmtInt(m.context_length)}</td><td>{m.input_per_mtok ?? '–'}</td><td>{m.output_per_mtok ?? '–'}</td>
              <td>{m.price_source ?? 'unknown'}{m.price_source === 'override' && <> <button type="button" onClick={() => clear(m.id)}>Remove override</button></>}</td></tr>
          ))}
        </tbody>
      </table>
      <form className="inline" onSubmit={save} aria-label="Price override">
        <label htmlFor="po-model">Override price of</label>
        <select id="po-model" value={price.model} onChange={(e) => setPrice({ ...price, model: e.target.value })} required>
          <option value="">model…</option>
          {data?.models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
        </select>
        <label htmlFor="po-in">Input $/M</label>
        <input id="po-in" type="number" min="0" step="any" size={6} value={price.input} onChange={(e) => setPrice({ ...price, input: e.target.value })} required />
        <label htmlFor="po-out">Output $/M</label>
        <input id="po-out" type="number" min="0" step="any" size={6} value={price.output} onChange={(e) => setPrice({ ...price, output: e.target.value })} required />
        <button type="submit">Save price</button>
      </form>
      {msg && <p role="status" className="muted">{msg}</p>}
    </div>
  );
}
