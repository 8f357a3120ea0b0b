import { useEffect, useState } from 'react';

/** Views are hash routes (`#/clients`): the gateway serves one page, and no path needs a fallback. */
export const VIEWS = [
  { id: 'overview', label: 'Overview' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'logs', label: 'Request log' },
  { id: 'clients', label: 'Clients' },
  { id: 'providers', label: 'Providers' },
  { id: 'strategies', label: 'Strategies' },
  { id: 'mcp', label: 'MCP servers' },
  { id: 'skills', label: 'Skills' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'try', label: 'Try it' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

function current(): ViewId {
  const id = window.location.hash.replace(/^#\/?/, '').split('?')[0];
  return (VIEWS.find((v) => v.id === id)?.id) ?? 'overview';
}

export function useView(): ViewId {
  const [view, setView] = useState<ViewId>(current);
  useEffect(() => {
    const on = (): void => setView(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return view;
}
