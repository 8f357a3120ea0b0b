// `npm run router:dev`: development runs of the router recipe, apart from the reported evaluation.
// Subject-grouped k-fold CV with fixed L2 strengths (one fit per head per fold, no nesting) under a
// development fold seed (11; the reported evaluation uses 7), then every κ × β from the same fits:
// MMLU and GSM8K APGR of the pooled held-out scores, and the chat dev AUC (the fold models'
// averaged head probabilities on the arena-hard `dev` part). The `check` part is never scored here.
// `--ceiling` adds upper bounds that no shipped router can reach: heads fitted on the held-out fold
// itself (in-sample), and an oracle that knows each held-out subject's true gain rate.
//   npm run router:dev -- [--seed 11] [--scheme subjects|random] [--chat weak|ties|none] [--chat-weight 1] [--gsm-share 1] [--l2w 5e-4] [--l2s 2e-3] [--bags 1 [--bag-groups]] [--ceiling]
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  assignFolds, chatAuc, chatWeakRows, combineHeads, evaluateRouter, featurize, fitBlend, fitHeads, loadChatData, loadRoutingData, logCharsOf,
  blendScore, FEATURIZER_VERSION, type LabeledPrompt, type SparseFeatures, type TwoHeads,
} from '../src/classifier/index.js';
import { fitBaggedHeads, headScores, isGsm8k, isMmlu, SHAPE_L2 } from '../src/classifier/cross-fit.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: process.env.LOCALROUTER_ROUTING_DATA ?? path.resolve(ROOT, '../shared/data/routing') },
    seed: { type: 'string', default: '11' },
    scheme: { type: 'string', default: 'subjects' },
    k: { type: 'string', default: '5' },
    chat: { type: 'string', default: 'weak' },
    'chat-weight': { type: 'string', default: '1' },
    // GSM8K's total loss weight as a multiple of MMLU's (1: the two weigh the same).
    'gsm-share': { type: 'string', default: '1' },
    l2w: { type: 'string', default: '5e-4' },
    l2s: { type: 'string', default: '2e-3' },
    kappas: { type: 'string', default: '0,0.25,0.5,0.75,1' },
    betas: { type: 'string', default: '0,0.25,0.5,0.75,1,1.5' },
    ceiling: { type: 'boolean', default: false },
    // Bagged heads: each fold's heads averaged over this many bootstrap fits (1: one plain fit).
    bags: { type: 'string', default: '1' },
    'bag-groups': { type: 'boolean', default: false },
  },
});

const t0 = Date.now();
const dataDir = values['data-dir']!;
const data = loadRoutingData(dataDir);
const chatData = loadChatData(dataDir);
const chatRows = values.chat === 'none' ? [] : chatWeakRows(chatData.prompts, { strongHelps: values.chat === 'weak', weight: Number(values['chat-weight']) });
const gsmShare = Number(values['gsm-share']);
const gsm8k = gsmShare === 1 ? data.gsm8k : data.gsm8k.map((r) => ({ ...r, weight: gsmShare }));
const rows: LabeledPrompt[] = [...data.mmlu, ...gsm8k, ...chatRows];

const feats: SparseFeatures[] = rows.map((r) => featurize(r.prompt));
const dev = chatData.prompts.filter((p) => p.part === 'dev');
const devFeats = dev.map((p) => featurize(p.prompt));
const devCats = dev.map((p) => p.category);
const k = Number(values.k);
const seed = Number(values.seed);
const hyper = { l2Weak: Number(values.l2w), l2Strong: Number(values.l2s), l2Shape: SHAPE_L2 };
const kappas = values.kappas!.split(',').map(Number);
const betas = values.betas!.split(',').map(Number);
const bags = Number(values.bags);
console.log(`rows ${rows.length} (chat ${values.chat} ×${values['chat-weight']}: ${chatRows.length}; GSM8K share ×${gsmShare}), ${values.scheme} folds seed ${seed}, l2 ${hyper.l2Weak}/${hyper.l2Strong}, bags ${bags}${values['bag-groups'] ? ' (subjects resampled)' : ''}, featurizer ${FEATURIZER_VERSION}`);

const folds = assignFolds(rows, k, seed, values.scheme === 'random' ? 'random' : 'subjects');
const idsOf = (f: number): number[] => rows.flatMap((_, i) => (folds[i] === f ? [i] : []));
const heldWeak = new Float64Array(rows.length);
const heldStrong = new Float64Array(rows.length);
const devWeak = new Float64Array(dev.length);
const devStrong = new Float64Array(dev.length);
const ceilWeak = new Float64Array(rows.length);
const ceilStrong = new Float64Array(rows.length);

function scoreInto(ids: readonly number[], heads: TwoHeads, weak: Float64Array, strong: Float64Array): void {
  const h = headScores(ids.map((i) => feats[i]!), heads);
  ids.forEach((i, n) => { weak[i] = h.weakFails[n]!; strong[i] = h.strongFails[n]!; });
}

for (let f = 0; f < k; f++) {
  const test = idsOf(f);
  const train = rows.flatMap((_, i) => (folds[i] !== f ? [i] : []));
  const heads = bags > 1
    ? fitBaggedHeads(rows, feats, train, hyper, { bags, seed: seed * 1000 + f, groups: values['bag-groups'] })
    : fitHeads(rows, feats, train, hyper);
  scoreInto(test, heads, heldWeak, heldStrong);
  const d = headScores(devFeats, heads);
  d.weakFails.forEach((p, n) => { devWeak[n] += p / k; });
  d.strongFails.forEach((p, n) => { devStrong[n] += p / k; });
  if (values.ceiling) scoreInto(test, fitHeads(rows, feats, test, hyper), ceilWeak, ceilStrong);
  console.log(`fold ${f + 1}/${k}: ${test.length} held out (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const all = rows.map((_, i) => i);
const logChars = Float64Array.from(feats, logCharsOf);
const devLogChars = devFeats.map(logCharsOf);

function apgrOf(scores: ArrayLike<number>, test: (r: LabeledPrompt) => boolean): number {
  const ids = all.filter((i) => test(rows[i]!) && !rows[i]!.contaminated);
  return evaluateRouter(ids.map((i) => scores[i]!), ids.map((i) => rows[i]!.weak), ids.map((i) => rows[i]!.strong)).apgr;
}

/** The development value of a recipe: the best mean APGR among κ × β whose dev AUC reaches the floor. */
const FLOOR = 0.756;

function table(title: string, weak: Float64Array, strong: Float64Array, withChat: boolean): void {
  console.log(`\n${title}\nκ     β     MMLU   GSM8K  mean   dev AUC`);
  let best = { mean: -1, line: 'none' };
  for (const kappa of kappas) {
    const gains = Float64Array.from(all, (i) => combineHeads(weak[i]!, strong[i]!, kappa));
    const devGains = Array.from(devWeak, (w, n) => combineHeads(w, devStrong[n]!, kappa));
    for (const beta of betas) {
      const blend = fitBlend(gains, logChars, beta);
      const s = Float64Array.from(all, (i) => blendScore(gains[i]!, logChars[i]!, blend));
      const m = apgrOf(s, isMmlu);
      const g = apgrOf(s, isGsm8k);
      const auc = withChat ? chatAuc(devCats, devGains.map((x, n) => blendScore(x, devLogChars[n]!, blend))) : Number.NaN;
      const line = `${kappa.toFixed(2)}  ${beta.toFixed(2)}  ${m.toFixed(3)}  ${g.toFixed(3)}  ${((m + g) / 2).toFixed(3)}  ${auc.toFixed(3)}`;
      console.log(line);
      if (withChat && auc >= FLOOR && (m + g) / 2 > best.mean) best = { mean: (m + g) / 2, line };
    }
  }
  if (withChat) console.log(`value (best mean APGR at dev AUC >= ${FLOOR}): ${best.line}`);
}

table('held-out (development CV)', heldWeak, heldStrong, true);
const lengthOnly = Float64Array.from(rows, (r) => r.prompt.length);
console.log(`\nlength only: MMLU ${apgrOf(lengthOnly, isMmlu).toFixed(3)}, GSM8K ${apgrOf(lengthOnly, isGsm8k).toFixed(3)}, dev AUC ${chatAuc(devCats, dev.map((p) => p.prompt.length)).toFixed(3)}`);

if (values.ceiling) {
  table('ceiling: heads fitted on the held-out fold itself (in-sample, same L2)', ceilWeak, ceilStrong, false);
  // The gain rate of each subject (GSM8K: of the whole fold), known exactly: what perfect knowledge
  // of subject difficulty buys, with length breaking ties inside a subject.
  const rate = new Map<string, { n: number; weakFails: number; strongFails: number }>();
  for (const i of all) {
    const key = `${rows[i]!.group}/${folds[i]}`;
    const r = rate.get(key) ?? { n: 0, weakFails: 0, strongFails: 0 };
    r.n++; r.weakFails += rows[i]!.weak ? 0 : 1; r.strongFails += rows[i]!.strong ? 0 : 1;
    rate.set(key, r);
  }
  console.log('\nceiling: oracle subject gain rate (κ = 1), plus λ·log length inside it');
  for (const lambda of [0, 0.01, 0.03, 0.1]) {
    const s = Float64Array.from(all, (i) => {
      const r = rate.get(`${rows[i]!.group}/${folds[i]}`)!;
      return (r.weakFails - r.strongFails) / r.n + lambda * logChars[i]!;
    });
    console.log(`  λ ${lambda}: MMLU ${apgrOf(s, isMmlu).toFixed(3)}, GSM8K ${apgrOf(s, isGsm8k).toFixed(3)}`);
  }
}
console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
