/**
 * The training/evaluation data: RouteLLM's correctness labels (one CSV row per prompt: prompt,
 * weak-correct, strong-correct) and the prompts RouteLLM drops from evaluation as contaminated.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import { parseCsv } from './parse-csv.js';

/** One benchmark prompt and whether each model answered it correctly. */
export interface LabeledPrompt {
  prompt: string;
  weak: boolean;
  strong: boolean;
  /** `gsm8k`, or the MMLU subject (`mmlu/<subject>`): the unit of the subject-grouped split. */
  group: string;
  /** Listed in RouteLLM's contaminated_prompts.jsonl: trained on, never evaluated on. */
  contaminated: boolean;
}

/** Provenance of one input file, for the model card. */
export interface DataFileInfo {
  path: string;
  sha256: string;
  rows: number;
}

export interface RoutingData {
  mmlu: LabeledPrompt[];
  gsm8k: LabeledPrompt[];
  files: DataFileInfo[];
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

function parseBool(value: string | undefined, where: string): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${where}: expected True or False, got ${JSON.stringify(value ?? '')}`);
}

/**
 * Rows of a correctness CSV. Columns are positional, as in RouteLLM's files whose headers are model
 * names: `prompt`, weak correct, strong correct. The first row is a header.
 */
export function parseLabeledCsv(text: string, group: string, source = group): LabeledPrompt[] {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const out: LabeledPrompt[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length === 1 && row[0] === '') continue; // blank line
    if (row.length < 3) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${source} row ${r + 1}: expected 3 columns, got ${row.length}`);
    out.push({
      prompt: row[0]!,
      weak: parseBool(row[1], `${source} row ${r + 1} column 2`),
      strong: parseBool(row[2], `${source} row ${r + 1} column 3`),
      group,
      contaminated: false,
    });
  }
  return out;
}

/** The `eval_prompt` of each line of a RouteLLM contaminated_prompts.jsonl. */
export function parseContaminated(text: string): Set<string> {
  const set = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const obj = JSON.parse(line) as { eval_prompt?: unknown };
    if (typeof obj.eval_prompt === 'string') set.add(obj.eval_prompt);
  }
  return set;
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function readTracked(dir: string, rel: string, files: DataFileInfo[], rows: number | null): string {
  const buf = fs.readFileSync(path.join(dir, rel));
  files.push({ path: rel, sha256: sha256(buf), rows: rows ?? 0 });
  return buf.toString('utf8');
}

function markContaminated(rows: LabeledPrompt[], contaminated: Set<string>): void {
  for (const row of rows) row.contaminated = contaminated.has(row.prompt);
}

/** Loads `<dir>/mmlu/mmlu_<subject>.csv`, `<dir>/gsm8k/gsm8k_correctness.csv` and both contamination lists. */
export function loadRoutingData(dir: string): RoutingData {
  const files: DataFileInfo[] = [];
  const mmlu: LabeledPrompt[] = [];
  const subjects = fs.readdirSync(path.join(dir, 'mmlu')).filter((f) => /^mmlu_.+\.csv$/.test(f)).sort();
  for (const file of subjects) {
    const rel = `mmlu/${file}`;
    const text = readTracked(dir, rel, files, null);
    const rows = parseLabeledCsv(text, `mmlu/${file.slice(5, -4)}`, rel);
    files[files.length - 1]!.rows = rows.length;
    mmlu.push(...rows);
  }
  const gsmText = readTracked(dir, 'gsm8k/gsm8k_correctness.csv', files, null);
  const gsm8k = parseLabeledCsv(gsmText, 'gsm8k', 'gsm8k/gsm8k_correctness.csv');
  files[files.length - 1]!.rows = gsm8k.length;
  const mmluCont = parseContaminated(readTracked(dir, 'mmlu/contaminated_prompts.jsonl', files, null));
  const gsmCont = parseContaminated(readTracked(dir, 'gsm8k/contaminated_prompts.jsonl', files, null));
  files[files.length - 2]!.rows = mmluCont.size;
  files[files.length - 1]!.rows = gsmCont.size;
  markContaminated(mmlu, mmluCont);
  markContaminated(gsm8k, gsmCont);
  return { mmlu, gsm8k, files };
}
