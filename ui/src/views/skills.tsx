import { useEffect, useState, type ReactNode } from 'react';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import Markdown, { type Components } from 'react-markdown';
import { useData } from '../use-data';
import { connect, listAllTools, ToolForm, type JsonSchema, type Tool } from './mcp';

interface SkillInfo {
  name: string;
  title: string | null;
  description: string;
  version: string;
  kind: 'workflow' | 'instructions';
  tool: string;
  steps: { id: string; kind: string }[];
  requires: { tools: string[]; models: string[] };
  input_schema: JsonSchema;
  output_schema: JsonSchema | null;
  documentation: string;
  path: string;
}

interface SkillIssue { file: string; step: string | null; reason: string }

/**
 * How a skill's documentation is drawn: Markdown to React elements, never HTML. react-markdown drops
 * raw HTML in the text and unsafe link protocols; images are shown as their alt text, since the page
 * loads nothing from anywhere but the gateway (CSP `img-src 'self'`).
 */
const DOC_COMPONENTS: Components = {
  img: ({ alt }) => <span className="muted">[image{alt ? `: ${alt}` : ''}]</span>,
  a: ({ href, children }) => <a href={href} rel="noreferrer noopener" target="_blank">{children}</a>,
  h1: ({ children }) => <h3>{children}</h3>,
  h2: ({ children }) => <h4>{children}</h4>,
  h3: ({ children }) => <h5>{children}</h5>,
};

export function Skills() {
  const skills = useData<{ paths: string[]; skills: SkillInfo[]; issues: SkillIssue[] }>('/api/skills');
  const clients = useData<{ clients: { id: string; name: string; enabled: boolean }[] }>('/api/clients');
  const [client, setClient] = useState('');
  const [session, setSession] = useState<Client | null>(null);
  const [tools, setTools] = useState<Tool[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const first = clients.data?.clients.find((c) => c.enabled);
    if (client === '' && first) setClient(first.name);
  }, [clients.data, client]);
  // The skills a client may run are the skills__ tools its MCP session lists (its strategy decides).
  useEffect(() => {
    if (client === '') return;
    let live: Client | null = null;
    let cancelled = false;
    setTools(null);
    connect(client).then(async (c) => {
      live = c;
      if (cancelled) return void c.close();
      setSession(c);
      const all = await listAllTools(c);
      if (!cancelled) { setTools(all); setError(null); }
    }).catch((e: Error) => { if (!cancelled) setError(`MCP: ${e.message}`); });
    return () => { cancelled = true; void live?.close(); setSession(null); };
  }, [client]);

  const list = skills.data?.skills ?? [];
  const selected = list.find((s) => s.name === open) ?? null;
  const toolOf = (s: SkillInfo): Tool | undefined => tools?.find((t) => t.name === s.tool);
  const access = (s: SkillInfo): string => tools === null ? '…' : toolOf(s) ? 'yes' : 'no (its strategy)';

  return (
    <section aria-labelledby="skills-h">
      <h1 id="skills-h">Skills</h1>
      <p className="muted small">
        Multi-step workflows offered on <code>/mcp</code> as one tool each (<code>skills__&lt;name&gt;</code>), loaded from{' '}
        {skills.data && skills.data.paths.length > 0 ? skills.data.paths.map((p) => <code key={p}>{p} </code>) : <code>skills.paths</code>}
        {' '}(add a folder with <code>localrouter skills add &lt;path&gt;</code>).
      </p>
      {skills.error && <p role="alert" className="error">{skills.error}</p>}
      <div className="filters">
        <label htmlFor="s-client">As client</label>
        <select id="s-client" value={client} onChange={(e) => setClient(e.target.value)}>
          {clients.data?.clients.filter((c) => c.enabled).map((c) => <option key={c.id} value={c.name}>{c.name}</option>)}
        </select>
        <span className="muted">{session ? 'runs go through /mcp as this client' : 'connecting…'}</span>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <table aria-label="Skills">
        <thead><tr><th>Skill</th><th>Kind</th><th>Version</th><th>Description</th><th>This client may run it</th></tr></thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.name} data-skill={s.name} className={open === s.name ? 'selected' : undefined}>
              <td><button type="button" className="link" onClick={() => setOpen(s.name)}>{s.name}</button></td>
              <td>{s.kind === 'workflow' ? `workflow (${s.steps.length} steps)` : 'instructions'}</td>
              <td>{s.version}</td>
              <td className="small">{s.description.slice(0, 200)}</td>
              <td>{s.kind === 'workflow' ? access(s) : '–'}</td>
            </tr>
          ))}
          {skills.data && list.length === 0 && <tr><td colSpan={5} className="muted">No skills loaded.</td></tr>}
        </tbody>
      </table>
      {skills.data && skills.data.issues.length > 0 && (
        <details>
          <summary>{skills.data.issues.length} {skills.data.issues.length === 1 ? 'folder does' : 'folders do'} not load</summary>
          <ul className="small">{skills.data.issues.map((i, n) => <li key={n}><code>{i.file}</code>{i.step ? ` (step ${i.step})` : ''}: {i.reason}</li>)}</ul>
        </details>
      )}
      {selected && <SkillDetail key={`${selected.name}|${client}`} skill={selected} tool={toolOf(selected)} session={session} toolsKnown={tools !== null} />}
    </section>
  );
}

function SkillDetail({ skill, tool, session, toolsKnown }: { skill: SkillInfo; tool: Tool | undefined; session: Client | null; toolsKnown: boolean }) {
  let tryIt: ReactNode;
  if (skill.kind !== 'workflow') tryIt = <p className="muted">An instruction-only skill: clients read it with <code>skills__read</code>; there is nothing to run.</p>;
  else if (!toolsKnown || session === null) tryIt = <p className="muted">Connecting…</p>;
  else if (tool === undefined) tryIt = <p className="muted">This client's strategy does not offer <code>{skill.tool}</code>: pick another client, or allow the skill in its strategy.</p>;
  // The form comes from the schema the skill states (the tool listed on /mcp carries the same one);
  // the tool's description repeats the documentation shown beside it, so it is left out here.
  else tryIt = <ToolForm tool={{ ...tool, description: undefined, inputSchema: skill.input_schema }} session={session} progress submitLabel="Run skill" />;
  return (
    <div className="detail" role="region" aria-label={`Skill ${skill.name}`}>
      <h2>{skill.title ?? skill.name} <span className="muted small">{skill.version}</span></h2>
      <p>{skill.description}</p>
      <div className="grid2">
        <div>
          <h3>Documentation</h3>
          <div className="doc" data-testid="skill-doc">
            <Markdown components={DOC_COMPONENTS} skipHtml>{skill.documentation}</Markdown>
          </div>
        </div>
        <div>
          <h3>Try it</h3>
          {tryIt}
          {skill.steps.length > 0 && <><h3>Steps</h3><ol className="small">{skill.steps.map((st) => <li key={st.id}><code>{st.id}</code> ({st.kind})</li>)}</ol></>}
          {(skill.requires.tools.length > 0 || skill.requires.models.length > 0) && (
            <p className="small">Uses: {[...skill.requires.tools, ...skill.requires.models].map((t) => <code key={t}>{t} </code>)}</p>
          )}
          <p className="small muted">Folder: <code>{skill.path}</code></p>
        </div>
      </div>
    </div>
  );
}
