import type { ServerConfig } from '../config/index.js';
import { headerSafe } from '../model/index.js';
import type { HeaderPairs } from './http-io.js';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Host and Origin policy against DNS rebinding and cross-site use: the Host header must name a
 * loopback host (or one the user allowed), and a browser Origin must be a loopback origin (or one
 * the user allowed). Built once per config load.
 */
export class RequestGuards {
  #hosts: Set<string>;
  #origins: Set<string>;

  constructor(server: ServerConfig) {
    this.#hosts = new Set([...LOOPBACK_HOSTS, ...server.allowed_hosts.map((h) => h.toLowerCase())]);
    this.#origins = new Set(server.allowed_origins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  }

  /**
   * True when the Host header names an allowed host, with any port or none (a rebinding attack
   * needs a foreign host name; the port adds nothing). An absent Host is refused.
   */
  hostAllowed(host: string): boolean {
    if (host.length === 0) return false;
    const lower = host.toLowerCase();
    if (this.#hosts.has(lower)) return true;
    const colon = lower.lastIndexOf(':');
    if (colon <= 0 || lower.endsWith(']')) return false;
    return this.#hosts.has(lower.slice(0, colon));
  }

  /** True for no Origin (non-browser clients), loopback origins on any port, and allowed origins. */
  originAllowed(origin: string): boolean {
    if (origin.length === 0) return true;
    const lower = origin.toLowerCase();
    if (this.#origins.has(lower)) return true;
    try {
      const url = new URL(lower);
      return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.includes(url.hostname);
    } catch {
      return false;
    }
  }
}

const ALLOW_HEADERS = 'authorization, content-type, x-api-key, anthropic-version, anthropic-beta, openai-organization, openai-project, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id';

/** CORS headers for an allowed browser origin (none without an Origin). */
export function corsHeaders(origin: string): HeaderPairs {
  if (origin.length === 0) return [];
  return [['access-control-allow-origin', headerSafe(origin)], ['vary', 'origin'], ['access-control-expose-headers', 'x-request-id, retry-after, mcp-session-id']];
}

/** Headers answering a CORS preflight from an allowed origin. */
export function preflightHeaders(origin: string): HeaderPairs {
  return [
    ...corsHeaders(origin),
    ['access-control-allow-methods', 'GET, POST, DELETE, OPTIONS'],
    ['access-control-allow-headers', ALLOW_HEADERS],
    ['access-control-max-age', '600'],
  ];
}
