/** A server's row in `GET /api/mcp/servers`, the fields the era tests read. */
export interface ServerStatus {
  name: string;
  state: string;
  era: string | null;
  protocolVersion: string | null;
  lastError: string | null;
  instances?: number;
}

/** Every configured MCP server's status, by name, from a running gateway's admin API. */
export async function mcpStatuses(origin: string, adminToken: string): Promise<Map<string, ServerStatus>> {
  const res = await fetch(`${origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await res.json()) as { servers: ServerStatus[] };
  return new Map(body.servers.map((s) => [s.name, s]));
}

/** Polls `check` every 100 ms until it holds; throws after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
