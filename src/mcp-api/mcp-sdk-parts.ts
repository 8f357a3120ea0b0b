// The MCP SDK modules the HTTP side uses. Only mcp-sdk.ts imports this file, and only dynamically:
// the SDK's types module builds hundreds of zod schemas when it loads, which a gateway nobody
// uses MCP with should not hold in its heap.
export { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
export { JSONRPCMessageSchema, RELATED_TASK_META_KEY, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
export { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
