// The floor of `bench/micro/cli/mcp-bridge.ts`: a bare MCP SDK server on STDIO that answers `ping`
// and `tools/list` (no tools) itself. A call to it is what one Node process on a pipe costs: two
// pipe writes, two wake-ups, the SDK's framing both ways.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server({ name: 'bench-floor', version: '1' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
await server.connect(new StdioServerTransport());
