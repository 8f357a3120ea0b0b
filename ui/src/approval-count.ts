import { useEffect, useState } from 'react';
import { api } from './api';
import { LIVE_MS } from './use-data';

/**
 * The number of MCP calls waiting for approval, for the navigation badge: the live feed's
 * `approvals` field each second; with monitoring off (no live feed) `GET /api/approvals` is polled.
 */
export function useApprovalCount(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    let poll: ReturnType<typeof setInterval> | null = null;
    const read = (): void => { api<{ data: unknown[] }>('/api/approvals').then((r) => setCount(r.data.length), () => undefined); };
    read();
    const es = new EventSource('/api/stats/live');
    es.onmessage = (ev: MessageEvent<string>) => {
      const n = (JSON.parse(ev.data) as { approvals?: unknown }).approvals;
      if (typeof n === 'number') setCount(n);
    };
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED || poll !== null) return;
      poll = setInterval(read, LIVE_MS);
    };
    return () => {
      es.close();
      if (poll !== null) clearInterval(poll);
    };
  }, []);
  return count;
}
