/**
 * The upstream MCP server behind the gateway during the conformance run (STDIO): it provides every
 * tool, prompt and resource name the server scenarios of `@modelcontextprotocol/conformance` ask for,
 * with the behaviour each scenario checks, so that what the suite measures is the gateway in between.
 *
 * Tools are served from a table with verbatim JSON schemas (McpServer would re-derive them from zod,
 * losing `$schema`/`$defs`, which `json-schema-2020-12` checks survive the trip); prompts, resources,
 * templates and completions go through McpServer.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema, CreateMessageResultSchema, ElicitResultSchema, ErrorCode, ListToolsRequestSchema, McpError,
  SubscribeRequestSchema, UnsubscribeRequestSchema, type CallToolResult, type ServerNotification, type ServerRequest, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type Args = Record<string, unknown>;

/** A valid 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = tinyWav();
const NO_ARGS = { type: 'object', properties: {} } as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

/** 10 ms of 8 kHz 8-bit mono silence as a WAV file, base64. */
function tinyWav(): string {
  const samples = 80;
  const b = Buffer.alloc(44 + samples, 0x80);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28); // byte rate
  b.writeUInt16LE(1, 32); // block align
  b.writeUInt16LE(8, 34); // bits per sample
  b.write('data', 36);
  b.writeUInt32LE(samples, 40);
  return b.toString('base64');
}

async function elicit(extra: Extra, message: string, requestedSchema: Args): Promise<CallToolResult> {
  const r = await extra.sendRequest({ method: 'elicitation/create', params: { message, requestedSchema } } as ServerRequest, ElicitResultSchema);
  return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}

interface FixtureTool {
  def: Tool;
  run(args: Args, extra: Extra): Promise<CallToolResult>;
}

const TOOLS: FixtureTool[] = [
  {
    def: { name: 'test_simple_text', description: 'Returns one text block', inputSchema: NO_ARGS },
    run: async () => text('This is a simple text response for testing.'),
  },
  {
    def: { name: 'test_image_content', description: 'Returns a PNG image', inputSchema: NO_ARGS },
    run: async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }),
  },
  {
    def: { name: 'test_audio_content', description: 'Returns a WAV clip', inputSchema: NO_ARGS },
    run: async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }),
  },
  {
    def: { name: 'test_embedded_resource', description: 'Returns an embedded text resource', inputSchema: NO_ARGS },
    run: async () => ({
      content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
    }),
  },
  {
    def: { name: 'test_multiple_content_types', description: 'Returns text, an image and a resource', inputSchema: NO_ARGS },
    run: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
      ],
    }),
  },
  {
    def: { name: 'test_tool_with_logging', description: 'Logs three lines while it runs', inputSchema: NO_ARGS },
    run: async (_args, extra) => {
      const log = (data: string): Promise<void> => extra.sendNotification({ method: 'notifications/message', params: { level: 'info', logger: 'fixture', data } });
      await log('Tool execution started');
      await sleep(50);
      await log('Tool processing data');
      await sleep(50);
      await log('Tool execution completed');
      return text('Logging tool finished');
    },
  },
  {
    def: { name: 'test_error_handling', description: 'Always fails', inputSchema: NO_ARGS },
    run: async () => ({ isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] }),
  },
  {
    def: { name: 'test_tool_with_progress', description: 'Reports progress 0, 50, 100 of 100', inputSchema: NO_ARGS },
    run: async (_args, extra) => {
      const token = extra._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
        if (progress < 100) await sleep(50);
      }
      return text('Progress tool finished');
    },
  },
  {
    def: {
      name: 'test_sampling', description: 'Asks the client for an LLM completion',
      inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
    },
    run: async (args, extra) => {
      const r = await extra.sendRequest({
        method: 'sampling/createMessage',
        params: { messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }], maxTokens: 100 },
      } as ServerRequest, CreateMessageResultSchema);
      const content = r.content as { type: string; text?: string };
      return text(`LLM response: ${content.type === 'text' ? content.text : `[${content.type}]`}`);
    },
  },
  {
    def: {
      name: 'test_elicitation', description: 'Asks the user for a username and an email',
      inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
    },
    run: async (args, extra) => {
      const r = await extra.sendRequest({
        method: 'elicitation/create',
        params: {
          message: String(args.message),
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        },
      } as ServerRequest, ElicitResultSchema);
      return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  },
  {
    def: { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation whose fields carry defaults (SEP-1034)', inputSchema: NO_ARGS },
    run: (_args, extra) => elicit(extra, 'Please review your profile', {
      type: 'object',
      properties: {
        name: { type: 'string', title: 'Name', default: 'John Doe' },
        age: { type: 'integer', title: 'Age', default: 30 },
        score: { type: 'number', title: 'Score', default: 95.5 },
        status: { type: 'string', title: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
        verified: { type: 'boolean', title: 'Verified', default: true },
      },
    }),
  },
  {
    def: { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with the five enum forms (SEP-1330)', inputSchema: NO_ARGS },
    run: (_args, extra) => elicit(extra, 'Please pick options', {
      type: 'object',
      properties: {
        untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        titledSingle: {
          type: 'string',
          oneOf: [{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }],
        },
        legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
        untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
        titledMulti: {
          type: 'array',
          items: { anyOf: [{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] },
        },
      },
    }),
  },
  {
    def: {
      name: 'json_schema_2020_12_tool', description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
        properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
        additionalProperties: false,
      },
    },
    run: async (args) => text(`Received ${JSON.stringify(args)}`),
  },
  {
    // server-sse-polling calls it; closing the client's SSE stream mid-call is the gateway's business, not a STDIO server's.
    def: { name: 'test_reconnection', description: 'Answers after a short pause', inputSchema: NO_ARGS },
    run: async () => {
      await sleep(100);
      return text('Reconnection test completed');
    },
  },
];

const mcp = new McpServer({ name: 'lr-conformance-fixture', version: '1.0.0' }, { capabilities: { logging: {} } });

mcp.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, () => ({
  messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
}));
mcp.registerPrompt('test_prompt_with_arguments', {
  description: 'A prompt with two arguments',
  argsSchema: {
    arg1: completable(z.string().describe('First test argument'), (value) => ['paris', 'park', 'party', 'test-value'].filter((v) => v.startsWith(value))),
    arg2: z.string().describe('Second test argument'),
  },
}, ({ arg1, arg2 }) => ({
  messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
}));
mcp.registerPrompt('test_prompt_with_embedded_resource', {
  description: 'A prompt that embeds a resource',
  argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
}, ({ resourceUri }) => ({
  messages: [
    { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
    { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
  ],
}));
mcp.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
  messages: [
    { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
    { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
  ],
}));

mcp.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' }, (uri) => ({
  contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
}));
mcp.registerResource('static-binary', 'test://static-binary', { description: 'A static PNG', mimeType: 'image/png' }, (uri) => ({
  contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }],
}));
mcp.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource to subscribe to', mimeType: 'text/plain' }, (uri) => ({
  contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }],
}));
mcp.registerResource('template-data', new ResourceTemplate('test://template/{id}/data', { list: undefined }), {
  description: 'Data for one id', mimeType: 'application/json',
}, (uri, { id }) => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }],
}));

// Subscriptions are tracked for real, so that the suite's subscribe/unsubscribe reach a server that checks them.
const subscribed = new Set<string>();
mcp.server.registerCapabilities({ tools: {}, resources: { subscribe: true } });
mcp.server.setRequestHandler(SubscribeRequestSchema, (req) => {
  subscribed.add(req.params.uri);
  return {};
});
mcp.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
  if (!subscribed.delete(req.params.uri)) throw new McpError(ErrorCode.InvalidParams, `not subscribed: ${req.params.uri}`);
  return {};
});

mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS.map((t) => t.def) }));
mcp.server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
  const tool = TOOLS.find((t) => t.def.name === req.params.name);
  if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
  return tool.run(req.params.arguments ?? {}, extra);
});

await mcp.connect(new StdioServerTransport());
