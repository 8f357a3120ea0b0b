/**
 * The gateway set-up of the extended phase (Anthropic route, fallback, limits, accounting): on top of
 * the plain one, an `anthropic` provider on the mock's Messages mode (added with the CLI, key through
 * the secret store), two failing providers, a strategy with a request limit, one client per purpose,
 * prices for the bench models, and a circuit breaker that never opens.
 */
import net from 'node:net';
import type { Document } from 'yaml';
import { generateClientKey } from '../../src/secrets/index.js';
import type { BenchConfig } from './config.js';
import { type GatewayExtras, NEVER_REACHED_LIMITS } from './gateway.js';
import { MOCK_ANTHROPIC_KEY } from './stack.js';

/** USD per million tokens for `mock/bench-model` and `claude/bench-model`, so P12 can check cost. */
export const BENCH_PRICE = { input_per_mtok: 3, output_per_mtok: 15 } as const;

/** Model ids the extended gateway knows. */
export const MODELS = {
  passThrough: 'mock/bench-model',
  anthropic: 'claude/bench-model',
  /** Provider `bad`: the mock's `/fault/500/v1`, every call answers 500. */
  failing500: 'bad/bench-model',
  /** Provider `dead`: a loopback port nothing listens on. */
  refused: 'dead/bench-model',
} as const;

/** Keys and ports the extended phase's scenarios use. */
export interface ExtendedFixtures {
  /** A loopback port that was free and closed again: connecting is refused. */
  deadPort: number;
  keys: {
    /** No limit at all (P11 limiter cost baseline). */
    limitsOff: string;
    /** The same never-reached request and token limits as the default bench client (P11 limiter cost). */
    limitsOn: string;
    /** Only P12 uses it, so `/metrics` can be read for exactly its requests. */
    accounting: string;
    /** One per P11 round, each following strategy `burst` (N requests a minute), so every burst starts from a full budget. */
    burst: string[];
  };
}

/** A port that is free now (bound, then closed). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface ExtraClient {
  name: string;
  /** `generateClientKey()`: the key, and its hash and prefix as `clients create` stores them. */
  id: { key: string; hash: string; prefix: string };
  limits?: readonly object[];
  strategy?: string;
}

export async function extendedSetup(cfg: BenchConfig): Promise<{ fixtures: ExtendedFixtures; extras: (mockOrigin: string) => GatewayExtras }> {
  const deadPort = await closedPort();
  const clients: ExtraClient[] = [
    { name: 'limits-off', id: generateClientKey() },
    { name: 'limits-on', id: generateClientKey(), limits: NEVER_REACHED_LIMITS },
    { name: 'accounting', id: generateClientKey() },
    ...Array.from({ length: cfg.rounds }, (_, i) => ({ name: `burst-${i + 1}`, id: generateClientKey(), strategy: 'burst' })),
  ];
  const keyOf = (name: string): string => clients.find((c) => c.name === name)!.id.key;
  const fixtures: ExtendedFixtures = {
    deadPort,
    keys: {
      limitsOff: keyOf('limits-off'),
      limitsOn: keyOf('limits-on'),
      accounting: keyOf('accounting'),
      burst: clients.filter((c) => c.strategy === 'burst').map((c) => c.id.key),
    },
  };
  const extras = (mockOrigin: string): GatewayExtras => ({
    cli: [{
      args: ['providers', 'add', 'claude', '--type', 'anthropic', '--base-url', `${mockOrigin}/v1`, '--api-key-stdin'],
      stdin: MOCK_ANTHROPIC_KEY,
    }],
    edit: (doc: Document) => {
      // Every P10 request must really try the failing candidate; the default (5 failures) would
      // open the breaker and skip it after the first few.
      doc.setIn(['server', 'breaker_failure_threshold'], 1_000_000_000);
      // Written here rather than with `providers add` to save two CLI start-ups; same fields.
      for (const [name, baseUrl] of [['bad', `${mockOrigin}/fault/500/v1`], ['dead', `http://127.0.0.1:${deadPort}/v1`]]) {
        doc.addIn(['providers'], { name, type: 'openai-compatible', base_url: baseUrl, headers: {}, enabled: true, models: [] });
      }
      doc.addIn(['strategies'], { name: 'burst', allow: ['*'], deny: [], limits: [{ kind: 'requests', window: 'minute', max: cfg.p11Limit }] });
      // Written here too: `clients create` is one CLI start-up per client, and P11 needs one per round.
      for (const c of clients) {
        doc.addIn(['clients'], {
          id: `c_bench${c.name.replace(/[^A-Za-z0-9]/g, '')}`, name: c.name, key_hash: c.id.hash, key_prefix: c.id.prefix,
          enabled: true, created_at: new Date().toISOString(), allowed_models: ['*'], limits: c.limits ?? [],
          ...(c.strategy ? { strategy: c.strategy } : {}),
        });
      }
      for (const model of [MODELS.passThrough, MODELS.anthropic]) doc.setIn(['price_overrides', model], { ...BENCH_PRICE });
    },
  });
  return { fixtures, extras };
}
