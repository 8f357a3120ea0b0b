import { zodSettings } from '../zod-jitless';
import { useEffect, useState, type FormEvent } from 'react';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

import { api, clientToken } from '../api';
import { LIVE_MS, useData } from '../use-data';

/** A skill run may take long: each step's progress notification restarts the wait (as `localrouter skills run`). */
const RUN_WAIT_MS = 10 * 60_000;

interface ServerStatus { name: string; transport: string; state: string; tools: number | null; lastError: string | null; restarts: number; enabled: boolean }
export interface JsonSchema { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; enum?: unknown[]; description?: string; default?: unknown; title?: string }
export interface Tool { name: string; title?: string; description?: string; inputSchema: JsonSchema }
interface CallResult { content?: { type: string; text?: string }[]; isError?: boolean; structuredContent?: unknown }

/**
 * Accepts every tool output as it is. The SDK's default validator (Ajv) compiles schemas with
 * `new Function`, which the page's CSP forbids; the panel shows what the tool answered either way.
 */
if (zodSettings.jitless !== true) throw new Error('zod must run jitless under the dashboard CSP');

const showAsIs: jsonSchemaValidator = {
  getValidator<T>(): JsonSchemaValidator<T> {
    return (input) => ({ valid: true, data: input as T, errorMessage: undefined });
  },
};

/** One MCP session through the gateway's own `/mcp`, as the chosen client. */
export async function connect(client: string): Promise<Client> {
  const token = await clientToken(client);
  const mcp = new Client({ name: 'localrouter-dashboard', version: '1' }, { jsonSchemaValidator: showAsIs });
  await mcp.connect(new StreamableHTTPClientTransport(new URL('/mcp', window.location.origin), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return mcp;
}

export function Mcp() {
  const status = useData<{ servers: ServerStatus[]; sessions: number }>('/api/mcp/servers', LIVE_MS);
  const clients = useData<{ clients: { id: string; name: string; enabled: boolean }[] }>('/api/clients');
  const [client, setClient] = useState('');
  const [session, setSession] = useState<Client | null>(null);
  const [tools, setTools] = useState<Tool[]>([]);
  const [open, setOpen] = useState<Tool | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', transport: 'stdio', command: '', args: '', url: '', plain: '', secretName: '', secretValue: '' });
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    const first = clients.data?.clients.find((c) => c.enabled);
    if (client === '' && first) setClient(first.name);
  }, [clients.data, client]);
  useEffect(() => {
    if (client === '') return;
    let live: Client | null = null;
    let cancelled = false;
    setTools([]);
    setOpen(null);
    connect(client).then(async (c) => {
      live = c;
      if (cancelled) return void c.close();
      setSession(c);
      const all = await listAllTools(c);
      if (!cancelled) { setTools(all); setError(null); }
    }).catch((e: Error) => { if (!cancelled) setError(`MCP: ${e.message}`); });
    return () => { cancelled = true; void live?.close(); setSession(null); };
  }, [client]);

  const add = (e: FormEvent): void => {
    e.preventDefault();
    const stdio = form.transport === 'stdio';
    // The secret goes to the gateway's secret store; the page forgets it once sent.
    const secret = form.secretName.trim() === '' ? {} : { [form.secretName.trim()]: form.secretValue };
    const plain = pairsOf(form.plain, stdio ? '=' : ':');
    const body = stdio
      ? { name: form.name, transport: 'stdio', command: form.command, args: form.args.split(' ').filter((a) => a !== ''), env: plain, secret_env: secret }
      : { name: form.name, transport: form.transport, url: form.url, headers: plain, secret_headers: secret };
    api('/api/mcp-servers', { method: 'POST', body }).then(() => {
      setMessage(`Added ${form.name}.`);
      setForm({ ...form, secretValue: '' });
      setTimeout(status.reload, 1000);
    }, (err: Error) => setMessage(err.message));
  };
  const remove = (name: string): void => {
    api(`/api/mcp-servers/${encodeURIComponent(name)}`, { method: 'DELETE' }).then(() => { setMessage(`Removed ${name}.`); setTimeout(status.reload, 1000); }, (err: Error) => setMessage(err.message));
  };

  return (
    <section aria-labelledby="mcp-h">
      <h1 id="mcp-h">MCP servers</h1>
      <table aria-label="MCP servers">
        <thead><tr><th>Server</th><th>Transport</th><th>State</th><th>Tools</th><th>Restarts</th><th>Last error</th><th /></tr></thead>
        <tbody>
          {status.data?.servers.map((s) => (
            <tr key={s.name} data-server={s.name}>
              <td>{s.name}</td><td>{s.transport}</td><td><span className={`badge ${s.state}`}>{s.state}</span></td>
              <td>{s.tools ?? '–'}</td><td>{s.restarts}</td><td className="small">{s.lastError ?? '–'}</td>
              <td><button type="button" onClick={() => remove(s.name)}>Remove</button></td>
            </tr>
          ))}
          {status.data?.servers.length === 0 && <tr><td colSpan={7} className="muted">No MCP servers yet.</td></tr>}
        </tbody>
      </table>
      <form className="inline" onSubmit={add} aria-label="Add an MCP server">
        <label htmlFor="m-name">Name</label>
        <input id="m-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required size={12} />
        <label htmlFor="m-transport">Transport</label>
        <select id="m-transport" value={form.transport} onChange={(e) => setForm({ ...form, transport: e.target.value })}>
          <option value="stdio">stdio</option><option value="streamable-http">Streamable HTTP</option><option value="sse">SSE (legacy)</option>
        </select>
        {form.transport === 'stdio'
          ? <><label htmlFor="m-command">Command</label><input id="m-command" value={form.command} onChange={(e) => setForm({ ...form, command: e.target.value })} required placeholder="npx" />
            <label htmlFor="m-args">Arguments</label><input id="m-args" value={form.args} onChange={(e) => setForm({ ...form, args: e.target.value })} placeholder="-y @modelcontextprotocol/server-everything" size={30} /></>
          : <><label htmlFor="m-url">URL</label><input id="m-url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required size={30} /></>}
        <label htmlFor="m-plain">{form.transport === 'stdio' ? 'Environment (NAME=value per line, not secret)' : 'Headers (Name: value per line, not secret)'}</label>
        <textarea id="m-plain" value={form.plain} onChange={(e) => setForm({ ...form, plain: e.target.value })} rows={2} />
        <label htmlFor="m-secret-name">{form.transport === 'stdio' ? 'Secret variable' : 'Secret header'}</label>
        <input id="m-secret-name" value={form.secretName} onChange={(e) => setForm({ ...form, secretName: e.target.value })} size={14} placeholder={form.transport === 'stdio' ? 'GITHUB_TOKEN' : 'Authorization'} />
        <label htmlFor="m-secret-value">Secret value (kept in the secret store)</label>
        <input id="m-secret-value" type="password" autoComplete="off" value={form.secretValue} onChange={(e) => setForm({ ...form, secretValue: e.target.value })} size={20} />
        <button type="submit">Add server</button>
      </form>
      {message && <p role="status" className="muted">{message}</p>}
      <h2>Tools</h2>
      <div className="filters">
        <label htmlFor="m-client">As client</label>
        <select id="m-client" value={client} onChange={(e) => setClient(e.target.value)}>
          {clients.data?.clients.filter((c) => c.enabled).map((c) => <option key={c.id} value={c.name}>{c.name}</option>)}
        </select>
        <span className="muted">{session ? `${tools.length} tools this client may use` : 'connecting…'}</span>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <table aria-label="Tools">
        <thead><tr><th>Tool</th><th>Description</th></tr></thead>
        <tbody>
          {tools.map((t) => (
            <tr key={t.name} className={open?.name === t.name ? 'selected' : undefined}>
              <td><button type="button" className="link" onClick={() => setOpen(t)}>{t.name}</button></td>
              <td className="small">{(t.description ?? '').slice(0, 200)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && session && <ToolForm key={open.name} tool={open} session={session} />}
    </section>
  );
}

function kind(s: JsonSchema): string {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (s.enum) return 'enum';
  return t ?? 'json';
}

/** Every tool of an MCP session, all pages. */
export async function listAllTools(c: Client): Promise<Tool[]> {
  const all: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.listTools(cursor === undefined ? {} : { cursor });
    all.push(...(page.tools as Tool[]));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

/**
 * A form generated from the tool's input schema; objects and arrays are typed as JSON. With
 * `progress`, the call's progress notifications (a skill's steps) show as they arrive.
 */
export function ToolForm({ tool, session, progress = false, submitLabel = 'Call tool' }: { tool: Tool; session: Client; progress?: boolean; submitLabel?: string }) {
  const props = Object.entries(tool.inputSchema.properties ?? {});
  const required = new Set(tool.inputSchema.required ?? []);
  const [values, setValues] = useState<Record<string, string | boolean>>(() => Object.fromEntries(props.map(([k, s]) => [k, kind(s) === 'boolean' ? s.default === true : s.default === undefined ? '' : typeof s.default === 'string' ? s.default : JSON.stringify(s.default)])));
  const [result, setResult] = useState<CallResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [steps, setSteps] = useState<string[]>([]);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setSteps([]);
    const args: Record<string, unknown> = {};
    try {
      for (const [k, s] of props) {
        const v = values[k];
        const t = kind(s);
        if (t === 'boolean') { args[k] = v === true; continue; }
        if (v === '' || v === undefined) continue;
        if (t === 'number' || t === 'integer') args[k] = Number(v);
        else if (t === 'string' || t === 'enum') args[k] = v;
        else args[k] = JSON.parse(String(v));
      }
    } catch {
      setError('An object or array field is not valid JSON.');
      return;
    }
    setBusy(true);
    const options = progress
      ? { timeout: RUN_WAIT_MS, resetTimeoutOnProgress: true, onprogress: (p: { progress: number; total?: number; message?: string }) => setSteps((s) => [...s, `[${p.progress}/${p.total ?? '?'}] ${p.message ?? ''}`]) }
      : undefined;
    session.callTool({ name: tool.name, arguments: args }, undefined, options).then((r) => setResult(r as CallResult), (err: Error) => setError(err.message)).finally(() => setBusy(false));
  };
  return (
    <div className="notice" role="region" aria-label={`Try ${tool.name}`}>
      <h2>{tool.title ?? tool.name}</h2>
      {tool.description && <p className="small">{tool.description}</p>}
      <form onSubmit={submit}>
        {props.map(([k, s]) => {
          const t = kind(s);
          const id = `arg-${k}`;
          const label = `${k}${required.has(k) ? ' (required)' : ''}`;
          return (
            <div className="field" key={k}>
              <label htmlFor={id}>{label}{s.description && <span className="muted small"> · {s.description}</span>}</label>
              {t === 'boolean' ? <input id={id} type="checkbox" checked={values[k] === true} onChange={(e) => setValues({ ...values, [k]: e.target.checked })} />
                : t === 'enum' ? <select id={id} value={String(values[k])} onChange={(e) => setValues({ ...values, [k]: e.target.value })} required={required.has(k)}>
                  <option value="" />{s.enum!.map((x) => <option key={String(x)} value={String(x)}>{String(x)}</option>)}</select>
                : t === 'number' || t === 'integer' ? <input id={id} type="number" step={t === 'integer' ? 1 : 'any'} value={String(values[k])} onChange={(e) => setValues({ ...values, [k]: e.target.value })} required={required.has(k)} />
                : t === 'string' ? <input id={id} value={String(values[k])} onChange={(e) => setValues({ ...values, [k]: e.target.value })} required={required.has(k)} />
                : <textarea id={id} value={String(values[k])} onChange={(e) => setValues({ ...values, [k]: e.target.value })} required={required.has(k)} placeholder="JSON" />}
            </div>
          );
        })}
        {props.length === 0 && <p className="muted">This tool takes no arguments.</p>}
        <button type="submit" disabled={busy}>{submitLabel}</button>
      </form>
      {steps.length > 0 && <ol className="small" aria-label="Steps">{steps.map((s, i) => <li key={i}>{s}</li>)}</ol>}
      {error && <p role="alert" className="error">{error}</p>}
      {result && (
        <div data-testid="tool-result">
          <h3>{result.isError ? 'The tool answered with an error' : 'Result'}</h3>
          {(result.content ?? []).map((c, i) => <pre key={i}>{c.type === 'text' ? c.text : `[${c.type}]`}</pre>)}
          {result.structuredContent !== undefined && <pre>{JSON.stringify(result.structuredContent, null, 2)}</pre>}
        </div>
      )}
      <details><summary>Input schema</summary><pre>{JSON.stringify(tool.inputSchema, null, 2)}</pre></details>
    </div>
  );
}

/** `text`'s lines as name → value, split at the first `sep` (blank lines skipped; the gateway checks names and values). */
function pairsOf(text: string, sep: '=' | ':'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf(sep);
    if (at <= 0) out[line.trim()] = '';
    else out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}
