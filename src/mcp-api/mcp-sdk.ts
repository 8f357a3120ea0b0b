/** The MCP SDK as the HTTP side uses it (the server transport, the message schema, the protocol constants). */
export type McpSdk = typeof import('./mcp-sdk-parts.js');

let loaded: McpSdk | null = null;
let loading: Promise<McpSdk> | null = null;

/**
 * Loads the SDK with the first MCP request (or the first configured MCP server). Callbacks on the
 * returned promise run in the order they were registered, and after {@link loadedMcpSdk} returns
 * it: requests that waited for the load keep their order against those that come after it. A failed
 * load is tried again by the next caller.
 */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= import('./mcp-sdk-parts.js').then((m) => (loaded = m), (err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}

/** The SDK if it is loaded, else null (the caller then awaits {@link loadMcpSdk}). */
export function loadedMcpSdk(): McpSdk | null {
  return loaded;
}
