import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(new URL('../../bin/localrouter', import.meta.url).pathname);
const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });

describe('localrouter router', () => {
  it('score answers one {"score"} line per prompt line, in order, each the same as scored alone', () => {
    const prompts = ['hi', 'Prove that there are infinitely many primes.', 'What is 17 * 23? Show your work.'];
    const together = run(['router', 'score'], prompts.map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
    expect(together.status, together.stderr).toBe(0);
    const scores = together.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { score: number }).score);
    expect(scores).toHaveLength(3);
    for (const s of scores) expect(s).toBeGreaterThan(0), expect(s).toBeLessThan(1);
    const alone = JSON.parse(run(['router', 'score'], JSON.stringify({ prompt: prompts[1] }) + '\n').stdout) as { score: number };
    expect(alone.score).toBeCloseTo(scores[1]!, 6);
  });

  it('calibrate turns a strong share into a threshold from the model card', () => {
    const r = run(['router', 'calibrate', '--strong-share', '0.3']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { threshold: number; strong_share: number };
    expect(out.strong_share).toBe(0.3);
    expect(out.threshold).toBeGreaterThan(0);
    expect(out.threshold).toBeLessThan(1);
    const higher = JSON.parse(run(['router', 'calibrate', '--strong-share', '0.1']).stdout) as { threshold: number };
    expect(higher.threshold).toBeGreaterThan(out.threshold);
  });
});
