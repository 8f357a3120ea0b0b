// The v2 MCP server SDK modules the 2026-07-28 (modern, stateless) side of /mcp uses. Only
// mcp-modern.ts imports this file, and only dynamically: a gateway whose clients all speak the
// session-based protocol never loads it.
export {
  classifyInboundRequest, createMcpHandler, createRequestStateCodec, inputRequired, ProtocolError, Server, SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
