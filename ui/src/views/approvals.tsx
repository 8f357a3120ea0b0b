import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { LIVE_MS, useData } from '../use-data';

interface Approval {
  id: string;
  kind: 'tool' | 'skill_step' | 'model';
  client: string;
  strategy: string;
  tool: string;
  arguments: Record<string, unknown> | null;
  input_schema: Record<string, unknown> | null;
  created_at: string;
  expires_at: string;
}

type Scope = 'once' | 'session' | 'always';

const SCOPES: { id: Scope; label: string }[] = [
  { id: 'once', label: 'Allow once' },
  { id: 'session', label: 'For this session' },
  { id: 'always', label: 'Always (saved to the strategy)' },
];

/**
 * MCP calls of tools a strategy marks `ask`, waiting for a person: each can be approved (with
 * edited arguments, once, for its session, or always) or denied. The list reads again whenever the
 * live count changes, and every few seconds.
 */
export function Approvals({ count }: { count: number }) {
  const list = useData<{ data: Approval[] }>('/api/approvals', LIVE_MS);
  const { reload } = list;
  useEffect(() => { reload(); }, [count, reload]);
  const [done, setDone] = useState<string | null>(null);
  const items = list.data?.data ?? [];
  return (
    <section aria-labelledby="approvals-h">
      <h1 id="approvals-h">Approvals</h1>
      <p className="muted">Calls of MCP tools and requests for models that a strategy marks <code>ask</code> (<code>ask.tools</code>, <code>ask.models</code>) wait here until you answer, or until their timeout.</p>
      <p role="status" aria-live="polite" className="muted">{items.length === 0 ? 'Nothing waits for approval.' : `${items.length} call${items.length === 1 ? '' : 's'} waiting.`}{done !== null && ` ${done}`}</p>
      {list.error && <p role="alert" className="error">{list.error}</p>}
      {items.map((a) => <ApprovalCard key={a.id} approval={a} onDone={(text) => { setDone(text); reload(); }} />)}
    </section>
  );
}

function ApprovalCard({ approval: a, onDone }: { approval: Approval; onDone: (text: string) => void }) {
  const [args, setArgs] = useState(() => (a.arguments === null ? '' : JSON.stringify(a.arguments, null, 2)));
  const [scope, setScope] = useState<Scope>('once');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const base = `apr-${a.id}`;
  const send = (body: Record<string, unknown>, text: string): void => {
    setBusy(true);
    setError(null);
    api(`/api/approvals/${encodeURIComponent(a.id)}`, { method: 'POST', body }).then(() => onDone(text), (err: Error) => setError(err.message)).finally(() => setBusy(false));
  };
  const approve = (e: FormEvent): void => {
    e.preventDefault();
    const body: Record<string, unknown> = { decision: 'approve', scope };
    if (a.arguments !== null) {
      let edited: unknown;
      try {
        edited = JSON.parse(args);
      } catch {
        setError('The arguments are not valid JSON.');
        return;
      }
      if (JSON.stringify(edited) !== JSON.stringify(a.arguments)) body.arguments = edited;
    }
    send(body, `Approved ${a.tool}.`);
  };
  const deny = (e: FormEvent): void => {
    e.preventDefault();
    send({ decision: 'deny', ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }, `Denied ${a.tool}.`);
  };
  return (
    <article className="approval" aria-labelledby={`${base}-h`} data-approval={a.id}>
      <h2 id={`${base}-h`}>{a.tool}</h2>
      <p className="small muted">
        {a.kind === 'skill_step' ? 'A tool step of a skill run' : a.kind === 'model' ? 'An LLM request for this model' : 'A tool call'} by client <strong>{a.client}</strong> (strategy {a.strategy}) ·
        waiting since {new Date(a.created_at).toLocaleTimeString()} · refused at {new Date(a.expires_at).toLocaleTimeString()} if unanswered
      </p>
      <form onSubmit={approve}>
        {a.arguments !== null
          ? <div className="field">
            <label htmlFor={`${base}-args`}>Arguments (JSON; edit before approving)</label>
            <textarea id={`${base}-args`} value={args} onChange={(e) => setArgs(e.target.value)} spellCheck={false} />
          </div>
          : <p className="muted small">{a.kind === 'model' ? 'The request is not shown here (the request log has it with monitoring.log_bodies); it can be allowed or denied.' : 'The skill made this step\'s arguments; it can be allowed or denied.'}</p>}
        {a.input_schema !== null && <details><summary>Input schema</summary><pre>{JSON.stringify(a.input_schema, null, 2)}</pre></details>}
        <fieldset>
          <legend className="small">Allow</legend>
          {SCOPES.filter((s) => a.kind !== 'model' || s.id !== 'session').map((s) => (
            <label key={s.id}><input type="radio" name={`${base}-scope`} value={s.id} checked={scope === s.id} onChange={() => setScope(s.id)} /> {s.label}</label>
          ))}
        </fieldset>
        <div className="actions"><button type="submit" disabled={busy}>Approve</button></div>
      </form>
      {/* A form of its own: Enter in the reason denies, never approves. */}
      <form className="actions" onSubmit={deny} aria-label={`Deny ${a.tool}`}>
        <label htmlFor={`${base}-reason`}>Reason</label>
        <input id={`${base}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="optional, shown to the client" size={28} />
        <button type="submit" disabled={busy}>Deny</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
    </article>
  );
}
