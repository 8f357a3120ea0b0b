import { useEffect, useRef, useState, type FormEvent } from 'react';
import { clientToken, qs } from '../api';
import { fmtAnswerCost, fmtMs } from '../format';
import { useData } from '../use-data';

interface Message { role: 'user' | 'assistant'; content: string }
interface Generation {
  model: string | null;
  provider: string | null;
  cost_usd: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  route: { classifier: string; side: string; score: number | null; threshold: number } | null;
}
interface Turn { id: string | null; model: string | null; gen: Generation | null; error: string | null }

const AUTO = 'localrouter/auto';

/** Reads an OpenAI chat completion stream, calling `onText` with each content delta; resolves with the last chunk's model. */
async function readStream(res: Response, onText: (t: string) => void): Promise<string | null> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let model: string | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const chunk = JSON.parse(data) as { model?: string; error?: { message?: string }; choices?: { delta?: { content?: string } }[] };
        if (chunk.error) throw new Error(chunk.error.message ?? 'stream error');
        if (chunk.model) model = chunk.model;
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) onText(text);
      }
    }
  }
  return model;
}

export function TryIt() {
  const clients = useData<{ clients: { id: string; name: string; enabled: boolean }[] }>('/api/clients');
  const [client, setClient] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [model, setModel] = useState(AUTO);
  const [input, setInput] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    const first = clients.data?.clients.find((c) => c.enabled);
    if (client === '' && first) setClient(first.name);
  }, [clients.data, client]);
  useEffect(() => {
    if (client === '') return;
    clientToken(client)
      .then((t) => fetch('/v1/models', { headers: { authorization: `Bearer ${t}` } }))
      .then((r) => r.json() as Promise<{ data?: { id: string }[] }>)
      .then((m) => { setModels((m.data ?? []).map((x) => x.id).filter((id) => id !== AUTO)); setError(null); }, (e: Error) => setError(e.message));
  }, [client]);

  const send = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const text = input.trim();
    if (text === '' || client === '') return;
    const history: Message[] = [...messages, { role: 'user', content: text }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setInput('');
    setBusy(true);
    setError(null);
    const ctl = new AbortController();
    abort.current = ctl;
    const turn: Turn = { id: null, model: null, gen: null, error: null };
    try {
      const token = await clientToken(client);
      const res = await fetch('/v1/chat/completions', {
        method: 'POST', signal: ctl.signal,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: history, stream: true, stream_options: { include_usage: true } }),
      });
      turn.id = res.headers.get('x-localrouter-generation-id');
      if (!res.ok) {
        const body = await res.json().catch(() => null) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      }
      turn.model = await readStream(res, (t) => setMessages((m) => [...m.slice(0, -1), { role: 'assistant', content: m[m.length - 1]!.content + t }]));
      if (turn.id !== null) turn.gen = await generation(turn.id, token);
    } catch (err) {
      turn.error = ctl.signal.aborted ? 'stopped' : (err as Error).message;
    } finally {
      setTurns((t) => [...t, turn]);
      setBusy(false);
      abort.current = null;
    }
  };

  return (
    <section aria-labelledby="try-h">
      <h1 id="try-h">Try it</h1>
      <p className="muted">Chat through <code>/v1/chat/completions</code> as one of your clients (with a ten-minute token of that client: its strategy and limits apply).</p>
      <div className="filters">
        <label htmlFor="try-client">Client</label>
        <select id="try-client" value={client} onChange={(e) => { setClient(e.target.value); setMessages([]); setTurns([]); }}>
          {clients.data?.clients.filter((c) => c.enabled).map((c) => <option key={c.id} value={c.name}>{c.name}</option>)}
        </select>
        <label htmlFor="try-model">Model</label>
        <select id="try-model" value={model} onChange={(e) => setModel(e.target.value)}>
          <option value={AUTO}>{AUTO}</option>
          {models.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
        <button type="button" onClick={() => { setMessages([]); setTurns([]); }}>New chat</button>
      </div>
      {clients.data?.clients.length === 0 && <p className="muted">Create a client first (Clients).</p>}
      <div className="chat" aria-live="polite" aria-label="Conversation">
        {messages.map((m, i) => {
          // The n-th answer's model, route decision and cost sit under it.
          const turn = m.role === 'assistant' ? turns[messages.slice(0, i).filter((x) => x.role === 'assistant').length] : undefined;
          return (
            <div key={i}>
              <div className={`msg ${m.role}`} data-role={m.role}>{m.content || (busy && i === messages.length - 1 ? '…' : '')}</div>
              {turn && <TurnInfo turn={turn} />}
            </div>
          );
        })}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <form onSubmit={send} aria-label="Send a message">
        <label htmlFor="try-input">Message</label>
        <textarea id="try-input" value={input} onChange={(e) => setInput(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e); }} />
        <div className="actions">
          <button type="submit" disabled={busy || input.trim() === '' || client === ''}>Send</button>
          {busy && <button type="button" onClick={() => abort.current?.abort()}>Stop</button>}
        </div>
      </form>
    </section>
  );
}

/** The generation record (route decision, cost) once the request log has it. */
async function generation(id: string, token: string): Promise<Generation | null> {
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`/v1/generation${qs({ id })}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.ok) return ((await res.json()) as { data: Generation }).data;
    await new Promise((r) => setTimeout(r, 300));
  }
  return null;
}

function TurnInfo({ turn }: { turn: Turn }) {
  if (turn.error) return <p role="alert" className="error">{turn.error}</p>;
  const g = turn.gen;
  return (
    <p className="muted" data-testid="turn-info">
      Answered by <strong>{g?.model ?? turn.model ?? '?'}</strong>
      {g && <> · {g.usage ? `${g.usage.prompt_tokens} → ${g.usage.completion_tokens} tokens` : 'no usage'} · cost {fmtAnswerCost(g.cost_usd, g.usage !== null)} · {fmtMs(g.latency_ms)}</>}
      {g?.route && <> · route: {g.route.classifier} chose {g.route.side} (score {g.route.score === null ? 'none' : g.route.score.toFixed(3)}, threshold {g.route.threshold.toFixed(3)})</>}
      {turn.id && <> · <code>{turn.id}</code></>}
    </p>
  );
}
