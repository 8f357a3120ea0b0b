import { useCallback, useEffect, useState } from 'react';
import { api } from './api';

/** How often views of config and state read it again. */
export const LIVE_MS = 3000;

/**
 * GETs `path` (again whenever it changes, on `reload()`, and every `refreshMs` when given, so a
 * change made elsewhere, by the CLI or another tab, shows up); errors are kept for display.
 */
export function useData<T>(path: string | null, refreshMs = 0): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    api<T>(path, { signal: ctl.signal }).then((d) => { setData(d); setError(null); }, (e: Error) => { if (!ctl.signal.aborted) setError(e.message); });
    return () => ctl.abort();
  }, [path, n]);
  useEffect(() => {
    if (refreshMs <= 0) return;
    const t = setInterval(() => setN((x) => x + 1), refreshMs);
    return () => clearInterval(t);
  }, [refreshMs]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}
