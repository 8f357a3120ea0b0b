import { countOf } from '../model/index.js';

/** What the start banner tells: where everything is, what is configured, what to do next. */
export interface BannerInfo {
  version: string;
  /** `dist` (the compiled build) or `src` (TypeScript through tsx, in a checkout with newer sources). */
  runs: string;
  /** `http://127.0.0.1:3625`, without a trailing slash. */
  origin: string;
  configFile: string;
  home: string;
  adminTokenFile: string;
  secretsBackend: string;
  providers: number;
  clients: number;
  mcpServers: number;
  /** The dashboard's address (its one-time login link is printed after the banner, see dashboard-login-line.ts). */
  dashboard: string;
  /** The access log's destination when `--access-log` is on. */
  accessLog: boolean;
}

const NAME_WIDTH = 15;

/** The banner `serve` writes to stderr once the gateway listens: plain lines, no colours, no data. */
export function startBanner(b: BannerInfo): string {
  const row = (name: string, value: string): string => `  ${name.padEnd(NAME_WIDTH)}${value}\n`;
  return [
    `LocalRouter ${b.version} (${b.runs === 'dist' ? 'compiled build' : 'TypeScript sources'}) is running\n`,
    row('OpenAI API', `${b.origin}/v1`),
    row('Anthropic API', `${b.origin}/v1/messages`),
    row('MCP', `${b.origin}/mcp`),
    row('dashboard', b.dashboard),
    row('config', b.configFile),
    row('data', b.home),
    row('admin token', `${b.adminTokenFile} (Bearer token of the admin API, /api/...)`),
    row('secrets', b.secretsBackend === 'keychain' ? 'OS keychain' : `encrypted file in ${b.home}`),
    row('configured', `${countOf(b.providers, 'providers')}, ${countOf(b.clients, 'clients')}, ${countOf(b.mcpServers, 'MCP servers')}`),
    row('access log', b.accessLog ? 'on (one line per request on stdout)' : 'off (serve --access-log turns it on)'),
    ...nextSteps(b),
  ].join('');
}

/** The command to run next while something essential is missing; nothing once a provider and a client exist. */
function nextSteps(b: BannerInfo): string[] {
  const steps: string[] = [];
  if (b.providers === 0) {
    steps.push('add a provider:    printf %s "$OPENAI_API_KEY" | localrouter providers add openai --type openai --api-key-stdin\n'
      + '                     (or find local servers: localrouter providers detect --add)\n');
  }
  if (b.clients === 0) steps.push('create a client:   localrouter clients create my-app   (prints its lr-... key once)\n');
  if (steps.length === 0) return [];
  return ['next, in another terminal:\n', ...steps.map((s) => `  ${s}`)];
}
