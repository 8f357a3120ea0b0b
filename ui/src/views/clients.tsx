import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { fmtTime } from '../format';
import { LIVE_MS, useData } from '../use-data';

interface ClientView {
  id: string;
  name: string;
  key_prefix: string;
  enabled: boolean;
  created_at: string;
  strategy: string;
  follows_default_strategy: boolean;
}

interface ClientList {
  clients: ClientView[];
  strategies: string[];
  default_strategy: string;
}

const DEFAULT = '(default)';

export function Clients() {
  const { data, error, reload } = useData<ClientList>('/api/clients', LIVE_MS);
  const [name, setName] = useState('');
  const [strategy, setStrategy] = useState(DEFAULT);
  const [shown, setShown] = useState<{ name: string; key: string; verb: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  const run = async (fn: () => Promise<void>): Promise<void> => {
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setMessage((e as Error).message);
    }
    reload();
  };
  const create = (e: FormEvent): void => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ client: ClientView; key: string }>('/api/clients', { method: 'POST', body: { name: name.trim(), ...(strategy === DEFAULT ? {} : { strategy }) } });
      setShown({ name: r.client.name, key: r.key, verb: 'created' });
      setName('');
    });
  };
  const rotate = (c: ClientView): void => void run(async () => {
    const r = await api<{ key: string }>(`/api/clients/${encodeURIComponent(c.id)}/rotate`, { method: 'POST' });
    setShown({ name: c.name, key: r.key, verb: 'rotated' });
  });
  const update = (c: ClientView, body: Record<string, unknown>): void => void run(async () => {
    await api(`/api/clients/${encodeURIComponent(c.id)}`, { method: 'POST', body });
  });
  const remove = (c: ClientView): void => void run(async () => {
    await api(`/api/clients/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
    setConfirmDelete(null);
  });

  return (
    <section aria-labelledby="clients-h">
      <h1 id="clients-h">Clients</h1>
      <p className="muted">Each client is an API key for your apps and agents; keys are stored only as a hash and shown once.</p>
      <form className="inline" onSubmit={create} aria-label="Create a client">
        <label htmlFor="client-name">Name</label>
        <input id="client-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="my-app" pattern="[a-z0-9][a-z0-9._\-]{0,63}" required />
        <label htmlFor="client-strategy">Strategy</label>
        <select id="client-strategy" value={strategy} onChange={(e) => setStrategy(e.target.value)}>
          <option value={DEFAULT}>{`default (${data?.default_strategy ?? 'default'})`}</option>
          {data?.strategies.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <button type="submit">Create client</button>
      </form>
      {shown && <KeyOnce name={shown.name} apiKey={shown.key} verb={shown.verb} onDone={() => setShown(null)} />}
      {(message ?? error) && <p role="alert" className="error">{message ?? error}</p>}
      <table>
        <thead><tr><th>Name</th><th>Key</th><th>Strategy</th><th>Enabled</th><th>Created</th><th>Actions</th></tr></thead>
        <tbody>
          {data?.clients.map((c) => (
            <tr key={c.id} data-client={c.name}>
              <td>{c.name}<div className="muted small">{c.id}</div></td>
              <td><code>{c.key_prefix}…</code></td>
              <td>
                <select aria-label={`Strategy of ${c.name}`} value={c.follows_default_strategy ? DEFAULT : c.strategy}
                  onChange={(e) => update(c, { strategy: e.target.value === DEFAULT ? null : e.target.value })}>
                  <option value={DEFAULT}>{`default (${data.default_strategy})`}</option>
                  {data.strategies.map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              </td>
              <td><span className={`badge ${c.enabled ? 'closed' : 'open'}`}>{c.enabled ? 'enabled' : 'disabled'}</span></td>
              <td>{fmtTime(c.created_at)}</td>
              <td className="actions">
                <button type="button" onClick={() => update(c, { enabled: !c.enabled })}>{c.enabled ? 'Disable' : 'Enable'}</button>
                <button type="button" onClick={() => rotate(c)}>Rotate key</button>
                {confirmDelete === c.id
                  ? <><button type="button" className="danger" onClick={() => remove(c)}>Really delete {c.name}</button><button type="button" onClick={() => setConfirmDelete(null)}>Keep</button></>
                  : <button type="button" onClick={() => setConfirmDelete(c.id)}>Delete</button>}
              </td>
            </tr>
          ))}
          {data?.clients.length === 0 && <tr><td colSpan={6} className="muted">No clients yet.</td></tr>}
        </tbody>
      </table>
    </section>
  );
}

/** The new key, shown once, with a copy button. */
function KeyOnce({ name, apiKey, verb, onDone }: { name: string; apiKey: string; verb: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = (): void => {
    navigator.clipboard.writeText(apiKey).then(() => setCopied('Copied.'), () => setCopied('Copying is not allowed here: select the key and copy it.'));
  };
  return (
    <div className="notice" role="status" aria-labelledby="key-once-h">
      <h2 id="key-once-h">Client “{name}” {verb}: its API key</h2>
      <p>This is the only time the key is shown. Store it now.</p>
      <div className="keybox">
        <input readOnly value={apiKey} aria-label="New API key" data-testid="new-key" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy}>Copy</button>
        <button type="button" onClick={onDone}>Done</button>
      </div>
      {copied && <p className="muted">{copied}</p>}
    </div>
  );
}
