/**
 * The logic of `localrouter router score | eval | calibrate`, as functions of streams and options so
 * the CLI only parses flags, and tests drive them without a process. Each returns the exit code.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isLocalRouterError } from '../errors/index.js';
import { evaluateBenchmark, formatBenchmark, PROTOCOL } from './evaluate-router.js';
import { cardPathFor, readModelCard, thresholdForShare } from './model-card.js';
import { parseContaminated, parseLabeledCsv } from './routing-data.js';
import { LinearRouter } from './router-model.js';
import { decileEdges } from './routing-metrics.js';
import { DEFAULT_MODEL_PATH } from './train-router.js';

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

function message(err: unknown): string {
  return isLocalRouterError(err) || err instanceof Error ? (err as Error).message : String(err);
}

/** Prompts of a JSON-lines stream (`{"prompt": "..."}` per line); blank lines are skipped. */
async function* jsonLinePrompts(input: Readable): AsyncGenerator<{ prompt: string } | { error: string }> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      const obj = JSON.parse(line) as { prompt?: unknown };
      if (typeof obj?.prompt !== 'string') yield { error: `line ${n}: "prompt" must be a string` };
      else yield { prompt: obj.prompt };
    } catch {
      yield { error: `line ${n}: not JSON` };
    }
  }
}

export interface ScoreCommandOptions {
  input: Readable;
  output: Writable;
  /** Default: the shipped router (`models/router-hashlr.bin`). */
  modelPath?: string;
}

/**
 * `localrouter router score`: reads `{"prompt": "..."}` lines, writes one `{"score": p}` line per
 * input line, in order (`{"error": "..."}` for a bad line, and exit code 1 at the end).
 */
export async function runScoreCommand(opts: ScoreCommandOptions): Promise<number> {
  const router = LinearRouter.load(opts.modelPath ?? DEFAULT_MODEL_PATH);
  let code = 0;
  for await (const item of jsonLinePrompts(opts.input)) {
    if ('error' in item) {
      code = 1;
      await write(opts.output, `${JSON.stringify({ error: item.error })}\n`);
    } else {
      await write(opts.output, `${JSON.stringify({ score: router.score(item.prompt) })}\n`);
    }
  }
  return code;
}

export interface EvalCommandOptions {
  /** CSV in RouteLLM's format: prompt, weak correct, strong correct (True/False), header row first. */
  dataFile: string;
  output: Writable;
  modelPath?: string;
  /** Optional RouteLLM-style contaminated_prompts.jsonl: those prompts are left out. */
  contaminatedFile?: string;
  json?: boolean;
  seed?: number;
}

/** `localrouter router eval --data FILE.csv`: APGR and CPT of the router, a random router and length. */
export async function runEvalCommand(opts: EvalCommandOptions): Promise<number> {
  let rows = parseLabeledCsv(fs.readFileSync(opts.dataFile, 'utf8'), 'data', opts.dataFile);
  const total = rows.length;
  if (opts.contaminatedFile) {
    const drop = parseContaminated(fs.readFileSync(opts.contaminatedFile, 'utf8'));
    rows = rows.filter((r) => !drop.has(r.prompt));
  }
  if (rows.length < 10) {
    await write(opts.output, `need at least 10 labelled prompts, got ${rows.length}\n`);
    return 1;
  }
  const router = LinearRouter.load(opts.modelPath ?? DEFAULT_MODEL_PATH);
  const scores = rows.map((r) => router.score(r.prompt));
  const result = evaluateBenchmark(opts.dataFile, rows, scores, opts.seed ?? 42);
  if (opts.json) {
    await write(opts.output, `${JSON.stringify({ protocol: PROTOCOL, dropped: total - rows.length, ...result })}\n`);
  } else {
    await write(opts.output, `${formatBenchmark(result, `${opts.dataFile} (${total - rows.length} contaminated prompts dropped)`)}\n`);
  }
  return 0;
}

export interface CalibrateCommandOptions {
  /** Target share of requests for the strong models, 0..1. */
  strongShare: number;
  output: Writable;
  modelPath?: string;
  /** The user's own prompts (`{"prompt": ...}` lines); without them the card's chat-mix percentiles are used. */
  prompts?: Readable;
}

/**
 * `localrouter router calibrate --strong-share 0.3`: the threshold that sends about that share of
 * prompts to the strong side, from the user's prompts when given, else from the model card.
 * Writes `{"threshold", "strong_share", "source", "n"}`.
 */
export async function runCalibrateCommand(opts: CalibrateCommandOptions): Promise<number> {
  const modelPath = opts.modelPath ?? DEFAULT_MODEL_PATH;
  if (!(opts.strongShare >= 0 && opts.strongShare <= 1)) {
    await write(opts.output, `${JSON.stringify({ error: '--strong-share must be within 0..1' })}\n`);
    return 1;
  }
  let percentiles: number[];
  let source: string;
  let n: number | null = null;
  if (opts.prompts) {
    const router = LinearRouter.load(modelPath);
    const scores: number[] = [];
    try {
      for await (const item of jsonLinePrompts(opts.prompts)) {
        if ('error' in item) {
          await write(opts.output, `${JSON.stringify({ error: item.error })}\n`);
          return 1;
        }
        scores.push(router.score(item.prompt));
      }
    } catch (err) {
      await write(opts.output, `${JSON.stringify({ error: message(err) })}\n`);
      return 1;
    }
    if (scores.length === 0) {
      await write(opts.output, `${JSON.stringify({ error: 'no prompts to calibrate on' })}\n`);
      return 1;
    }
    percentiles = decileEdges(scores, 100);
    source = 'prompts';
    n = scores.length;
  } else {
    percentiles = readModelCard(cardPathFor(modelPath)).calibration.percentiles;
    source = 'model card';
  }
  const threshold = thresholdForShare(percentiles, opts.strongShare);
  await write(opts.output, `${JSON.stringify({ threshold, strong_share: opts.strongShare, source, n })}\n`);
  return 0;
}
