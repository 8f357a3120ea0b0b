import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli-run.js';

const jsonLines = (prompts: string[]): string => prompts.map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n';

describe('localrouter router', () => {
  it('score answers one {"score"} line per prompt line, in order, each the same as scored alone', { timeout: 60_000 }, async () => {
    const prompts = ['hi', 'Prove that there are infinitely many primes.', 'What is 17 * 23? Show your work.'];
    // The real binary reading a pipe: the lines come back in order as they stream through.
    const together = await spawnCli(['router', 'score'], { input: jsonLines(prompts) });
    expect(together.code, together.stderr).toBe(0);
    const scores = together.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { score: number }).score);
    expect(scores).toHaveLength(3);
    for (const s of scores) expect(s).toBeGreaterThan(0), expect(s).toBeLessThan(1);
    const alone = await runCli(['router', 'score'], { input: jsonLines([prompts[1]!]) });
    expect(alone.code, alone.stderr).toBe(0);
    expect((JSON.parse(alone.stdout) as { score: number }).score).toBeCloseTo(scores[1]!, 6);
  });

  it('score answers a line that is not a prompt with {"error"} and exits 1 after the rest', async () => {
    const r = await runCli(['router', 'score'], { input: 'not json\n{"prompt": "hi"}\n' });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([{ error: 'line 1: not JSON' }, { score: expect.any(Number) }]);
  });

  it('calibrate turns a strong share into a threshold from the model card', async () => {
    const r = await runCli(['router', 'calibrate', '--strong-share', '0.3']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { threshold: number; strong_share: number };
    expect(out.strong_share).toBe(0.3);
    expect(out.threshold).toBeGreaterThan(0);
    expect(out.threshold).toBeLessThan(1);
    const higher = JSON.parse((await runCli(['router', 'calibrate', '--strong-share', '0.1'])).stdout) as { threshold: number };
    expect(higher.threshold).toBeGreaterThan(out.threshold);
  });
});
