import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { mightBeModern } from '../../../src/mcp-api/mcp-modern.js';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** Sessionless POSTs, by what the v2 SDK's classification says of them. */
const CASES: { name: string; header: string; body: unknown }[] = [
  { name: 'legacy initialize', header: '', body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } } },
  { name: 'legacy request with a legacy header', header: '2025-11-25', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
  { name: 'legacy notification', header: '', body: { jsonrpc: '2.0', method: 'notifications/initialized' } },
  { name: 'legacy batch', header: '', body: [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }] },
  { name: 'a posted response', header: '', body: { jsonrpc: '2.0', id: 1, result: {} } },
  { name: 'modern request', header: '2026-07-28', body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } } },
  { name: 'modern request without the header', header: '', body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } } },
  { name: 'modern header without the envelope', header: '2026-07-28', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
  { name: 'unknown future version', header: '2099-01-01', body: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } } },
  { name: 'a batch with a modern element', header: '', body: [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } }] },
  { name: 'a modern notification', header: '2026-07-28', body: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } } },
  { name: 'not JSON-RPC', header: '', body: 'hello' },
  { name: 'null', header: '', body: null },
];

describe('mightBeModern (which sessionless POSTs load the v2 SDK)', () => {
  it.each(CASES)('never sends a request the SDK would not serve as legacy down the session path: $name', ({ header, body }) => {
    const route = classifyInboundRequest({ httpMethod: 'POST', body, ...(header === '' ? {} : { protocolVersionHeader: header }) });
    // Not picked means the session path takes it: only right when the SDK calls it legacy (or the
    // session path refuses it the same way: a body that is no JSON-RPC message).
    if (!mightBeModern(header, body)) expect(route.kind === 'legacy' || (route.kind === 'reject' && route.rung === 'jsonrpc-shape')).toBe(true);
  });

  it('picks the requests that carry the envelope or name a modern version, and leaves the legacy handshake alone', () => {
    expect(mightBeModern('2026-07-28', {})).toBe(true);
    expect(mightBeModern(' 2026-07-28 ', {})).toBe(true);
    expect(mightBeModern('', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } })).toBe(true);
    expect(mightBeModern('', [{ jsonrpc: '2.0', id: 1, method: 'x' }, { jsonrpc: '2.0', id: 2, method: 'y', params: { _meta: ENVELOPE } }])).toBe(true);
    expect(mightBeModern('', CASES[0]!.body)).toBe(false);
    expect(mightBeModern('2025-11-25', CASES[1]!.body)).toBe(false);
    expect(mightBeModern('', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { progressToken: 1 } } })).toBe(false);
  });
});
