/** Constants shared by the chaos mock, the fault catalog and the soak (no side effects on import). */

/** Text of every mock answer: ASCII plus 2-, 3- and 4-byte UTF-8 characters. */
export const MOCK_CONTENT = 'héllo wörld ✓ 🚀 chaos';

/** Node's default `--max-http-header-size`: a response head larger than this is unreadable by node:http clients. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Largest Retry-After (seconds) a client-facing answer may carry: one day. */
export const MAX_RETRY_AFTER_S = 86_400;

/** Upstream timeouts of the fault providers in the chaos gateway's config. */
export const FAULT_FIRST_BYTE_MS = 2000;
export const FAULT_IDLE_MS = 2000;
/** `server.sse_heartbeat_ms` of the chaos gateway: a stream still waiting for its first token after this is committed as a 200. */
export const CHAOS_HEARTBEAT_MS = 700;
