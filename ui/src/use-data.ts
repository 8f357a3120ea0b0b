import { useCallback, useEffect, useState } from 'react';
import { api } from './api';

/** GETs `path` (again whenever it changes, or on `reload()`); errors are kept for display. */
export function useData<T>(path: string | null): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    api<T>(path, { signal: ctl.signal }).then((d) => { setData(d); setError(null); }, (e: Error) => { if (!ctl.signal.aborted) setError(e.message); });
    return () => ctl.abort();
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}
