import { config } from 'zod/v4';

// The MCP SDK builds its zod schemas when its modules load, and zod then probes `new Function`
// for its fast path: a CSP violation (script-src without 'unsafe-eval'). Jitless, zod never
// tries. Import this before the SDK, and use the export: the package is marked free of side
// effects, so a bare import would be dropped from the bundle.
export const zodSettings = config({ jitless: true });
