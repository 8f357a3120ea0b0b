import { lazy, Suspense, useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, getSession, loginWithToken, logout, setLoggedOutHandler } from './api';
import { VIEWS, useView, type ViewId } from './router';
import { Overview } from './views/overview';
import { Clients } from './views/clients';
import { Logs } from './views/logs';
import { Traffic } from './views/traffic';
import { Providers } from './views/providers';
import { TryIt } from './views/try-it';
import { Strategies } from './views/strategies';
import { Approvals } from './views/approvals';
import { useApprovalCount } from './approval-count';


type Auth = 'checking' | 'in' | 'out';

// The MCP view carries the MCP SDK: loaded (from this origin) only when opened.
const Mcp = lazy(() => import('./views/mcp').then((m) => ({ default: m.Mcp })));
const Skills = lazy(() => import('./views/skills').then((m) => ({ default: m.Skills })));

export function App() {
  const [auth, setAuth] = useState<Auth>('checking');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setLoggedOutHandler(() => setAuth('out'));
    if (window.location.hash === '#login-failed') {
      setError('That login link was already used or has expired. Log in with the admin token, or start the gateway again for a new link.');
      window.history.replaceState(null, '', '/');
    }
    getSession().then((s) => setAuth(s.authenticated ? 'in' : 'out'), () => setAuth('out'));
  }, []);
  if (auth === 'checking') return <p className="loading">Loading…</p>;
  if (auth === 'out') return <Login error={error} onIn={() => { setError(null); setAuth('in'); }} />;
  return <Shell onOut={() => setAuth('out')} />;
}

function Login({ error, onIn }: { error: string | null; onIn: () => void }) {
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<string | null>(error);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      await loginWithToken(token.trim());
      onIn();
    } catch (err) {
      setMessage(err instanceof ApiError ? err.message : 'login failed');
    }
  };
  return (
    <main className="login">
      <h1>LocalRouter</h1>
      <p>Open the login link the gateway printed when it started, or paste the admin token (the <code>admin-token</code> file in the data directory).</p>
      <form onSubmit={submit}>
        <label htmlFor="token">Admin token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        <button type="submit" disabled={token.trim() === ''}>Log in</button>
      </form>
      {message !== null && <p role="alert" className="error">{message}</p>}
    </main>
  );
}

function Shell({ onOut }: { onOut: () => void }) {
  const view = useView();
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${VIEWS.find((v) => v.id === view)!.label} · LocalRouter`;
    mainRef.current?.focus();
  }, [view]);
  const out = useCallback(() => { logout().finally(onOut); }, [onOut]);
  const approvals = useApprovalCount();
  return (
    <div className="shell">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>Skip to content</a>
      <nav aria-label="Views">
        <div className="brand">LocalRouter</div>
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <a href={`#/${v.id}`} aria-current={v.id === view ? 'page' : undefined}
                onClick={() => { if (v.id === view) mainRef.current?.focus(); }}>{v.label}
                {v.id === 'approvals' && approvals > 0 && <> <span className="badge count" data-testid="approvals-badge" aria-label={`${approvals} waiting`}>{approvals}</span></>}</a>
            </li>
          ))}
        </ul>
        <button type="button" className="logout" onClick={out}>Log out</button>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <ViewBody view={view} approvals={approvals} />
      </main>
    </div>
  );
}

function ViewBody({ view, approvals }: { view: ViewId; approvals: number }) {
  switch (view) {
    case 'overview': return <Overview />;
    case 'traffic': return <Traffic />;
    case 'logs': return <Logs />;
    case 'clients': return <Clients />;
    case 'providers': return <Providers />;
    case 'try': return <TryIt />;
    case 'strategies': return <Strategies />;
    case 'approvals': return <Approvals count={approvals} />;
    case 'mcp': return <Suspense fallback={<p>Loading…</p>}><Mcp /></Suspense>;
    case 'skills': return <Suspense fallback={<p>Loading…</p>}><Skills /></Suspense>;
  }
}
