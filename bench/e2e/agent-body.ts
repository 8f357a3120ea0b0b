/**
 * Agent-sized chat requests (P15): what a coding agent sends on every turn, a long history of
 * user, assistant and tool messages, assistant `tool_calls`, about 20 tool definitions with JSON
 * Schema parameters, and some non-ASCII text. Generated, never random: the same size gives the
 * same bytes in every run, so runs can be compared.
 */

const TOOL_NAMES = [
  'read_file', 'write_file', 'edit_file', 'list_directory', 'search_files', 'grep', 'run_command', 'run_tests',
  'git_status', 'git_diff', 'git_log', 'git_commit', 'open_url', 'web_search', 'read_issue', 'comment_issue',
  'create_branch', 'format_code', 'lint', 'ask_user',
] as const;

/** Code-like and prose lines that tool results and answers are made of (some outside ASCII on purpose). */
const LINES = [
  'export function parseConfig(raw: string): Config {',
  '  const doc = parse(raw); // throws on a tab-indented block',
  '  if (!doc.server) throw new ConfigError("missing server section");',
  '  return { ...DEFAULTS, ...doc, server: { ...DEFAULTS.server, ...doc.server } };',
  '}',
  '// Gère les cas où le fichier est vide — café, naïve, façade.',
  'Die Konfiguration wird beim Start gelesen und bei Änderungen neu geladen.',
  'ログは JSON 形式で標準エラー出力に書き込まれます。',
  'Ответ должен содержать только изменённые строки.',
  '  expect(result.status).toBe(200); // ✓ passes on Node 20',
  'src/gateway/router.ts:142:  const candidates = resolveModel(request.model, table);',
  'FAIL tests/unit/router.test.ts > picks the next provider after a 500 (12 ms)',
  '    at Object.<anonymous> (tests/unit/router.test.ts:88:21) 🚨',
  'diff --git a/src/limits.ts b/src/limits.ts',
  '@@ -12,7 +12,9 @@ export class RateLimiter {',
  '-    const now = Date.now();',
  '+    const now = this.#clock(); // injectable, so tests never sleep',
  'The request log writes one row per call; rollups are folded in every 5 s. 日本語のコメントも残します。',
] as const;

/** A deterministic stream of numbers, so generated text varies without being random. */
function sequence(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s;
  };
}

function lines(next: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(LINES[next() % LINES.length]);
  return out.join('\n');
}

/** Tool definitions with real-looking JSON Schema parameters (nested objects, enums, arrays). */
export function toolDefinitions(): unknown[] {
  return TOOL_NAMES.map((name, i) => ({
    type: 'function',
    function: {
      name,
      description: `${name.replace(/_/g, ' ')}; output over 32 KB is cut`,
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Relative to the workspace root' },
          pattern: { type: 'string', description: 'RE2 regex or glob' },
          range: {
            type: 'object',
            properties: { start: { type: 'integer', minimum: 1 }, end: { type: 'integer', minimum: 1 } },
            required: ['start'],
            additionalProperties: false,
          },
          mode: { type: 'string', enum: ['fast', 'thorough', 'dry_run'], default: 'fast' },
          args: { type: 'array', items: { type: 'string' }, maxItems: 32 },
          ...(i % 3 === 0 ? { env: { type: 'object', additionalProperties: { type: 'string' } } } : {}),
        },
        required: i % 2 === 0 ? ['path'] : ['pattern'],
        additionalProperties: false,
      },
    },
  }));
}

const SYSTEM =
  'You are a coding agent working in a TypeScript repository. Use the tools to read before you edit, ' +
  'run the tests after every change, and answer with a short summary of what changed and why. ' +
  'Never invent file contents; quote what the tools returned. Répondez en anglais. 日本語の質問にも英語で答えてください。\n' +
  lines(sequence(7), 8);

/** One agent turn: the user's ask, the assistant's tool calls, the tools' results, the assistant's answer. */
function turn(n: number): unknown[] {
  const next = sequence(n + 1);
  const calls = 1 + (n % 3);
  const toolCalls = Array.from({ length: calls }, (_, k) => {
    const name = TOOL_NAMES[(n * 3 + k) % TOOL_NAMES.length];
    return {
      id: `call_${n.toString(36)}_${k}_${(next() % 1e8).toString(36)}`,
      type: 'function',
      function: {
        name,
        arguments: JSON.stringify({ path: `src/module-${n % 17}/file-${k}.ts`, range: { start: 1 + (n % 40), end: 80 + (n % 40) }, mode: 'fast' }),
      },
    };
  });
  return [
    { role: 'user', content: `Step ${n}: the test "router picks the next provider" fails after the refactor — find out why and fix it. ${LINES[n % LINES.length]}` },
    { role: 'assistant', content: null, tool_calls: toolCalls },
    ...toolCalls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: lines(next, 20 + (next() % 40)) })),
    { role: 'assistant', content: `Found it in step ${n}: ${lines(next, 3)}\nNext I will run the tests again.` },
  ];
}

const FILL = 'Keep the public API unchanged and mention any test you had to update. ';

function size(body: unknown): number {
  return Buffer.byteLength(JSON.stringify(body));
}

/**
 * A chat request of about `targetBytes` (UTF-8, within 1% or a few hundred bytes): system prompt,
 * 20 tools, as many whole turns as fit, and a last user message filled up to the size.
 */
export function agentBody(targetBytes: number, stream: boolean, model = 'mock/bench-model'): string {
  const messages: unknown[] = [{ role: 'system', content: SYSTEM }];
  const body: Record<string, unknown> = {
    model,
    messages,
    tools: toolDefinitions(),
    tool_choice: 'auto',
    parallel_tool_calls: true,
    max_tokens: 1024,
    temperature: 0,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  const last = { role: 'user', content: 'Now summarize every change, then run the whole test suite. ' };
  messages.push(last);
  const base = size(body);
  let used = base;
  for (let n = 0; ; n++) {
    const t = turn(n);
    const add = size(t) - 1; // the array's brackets become one comma in the messages list
    if (used + add > targetBytes) break;
    messages.splice(messages.length - 1, 0, ...t);
    used += add;
  }
  // Fill with ASCII so the byte count is exact; the history above carries the non-ASCII text.
  const fill = targetBytes - size(body);
  if (fill > 0) last.content += FILL.repeat(Math.ceil(fill / FILL.length)).slice(0, fill);
  return JSON.stringify(body);
}
