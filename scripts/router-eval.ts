// `npm run router:eval`: held-out evaluation of the router training procedure with RouteLLM's
// protocol (APGR, CPT(50%), CPT(80%)) against a seeded random router (10 runs) and a length-only
// router, cross-fitted under fold schemes (whole MMLU subjects held out, and random), repeated over
// fold seeds. The inner selection sees the chat dev part and trains on the chat tie rows exactly as
// `router:train` does; the reported MMLU and GSM8K folds never influence a choice.
//   npm run router:eval [-- --k 5 --inner 3 --repeats 1 --seeds 7,8 --schemes subjects,random --write-card]
//   npm run router:eval -- --chat ties --seeds 7   (the previous recipe's chat rows, on the same folds)
//   npm run router:eval -- --data FILE.csv   (scores FILE with the shipped model instead)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_MODEL_NAME, PROTOCOL, SPLIT_SCHEMES, cardPathFor, chatWeakRows, evaluateScheme, featurize, formatBenchmark, formatSummary,
  loadChatData, loadRoutingData, modelPathFor, runEvalCommand, summarize, trainingRows, type ModelCard, type SchemeEvaluation, type SplitScheme,
} from '../src/classifier/index.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: process.env.LOCALROUTER_ROUTING_DATA ?? path.resolve(ROOT, '../shared/data/routing') },
    data: { type: 'string' },
    name: { type: 'string', default: DEFAULT_MODEL_NAME },
    k: { type: 'string', default: '5' },
    inner: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '1' },
    // Chat rows of another recipe, to compare recipes on the same folds: `ties` = creative ties only.
    chat: { type: 'string', default: 'weak' },
    'chat-weight': { type: 'string' },
    seeds: { type: 'string', default: '7,8' },
    schemes: { type: 'string', default: 'subjects,random' },
    'write-card': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const modelPath = modelPathFor(values.name!, path.join(ROOT, 'models'));

if (values.data) {
  process.exitCode = await runEvalCommand({ dataFile: values.data, output: process.stdout, modelPath });
} else {
  const t0 = Date.now();
  const data = loadRoutingData(values['data-dir']!);
  const chatData = loadChatData(values['data-dir']!);
  const rows = values.chat === 'weak' && values['chat-weight'] === undefined
    ? trainingRows(data, chatData)
    : [...data.mmlu, ...data.gsm8k, ...chatWeakRows(chatData.prompts, { strongHelps: values.chat === 'weak', weight: values['chat-weight'] === undefined ? 1 : Number(values['chat-weight']) })];
  const feats = rows.map((r) => featurize(r.prompt));
  const dev = chatData.prompts.filter((p) => p.part === 'dev');
  const chat = { feats: dev.map((p) => featurize(p.prompt)), categories: dev.map((p) => p.category) };
  const runs: SchemeEvaluation[] = [];
  for (const scheme of values.schemes!.split(',') as SplitScheme[]) {
    if (!SPLIT_SCHEMES.includes(scheme)) throw new Error(`unknown scheme ${scheme}`);
    for (const seed of values.seeds!.split(',').map(Number)) {
      const ev = evaluateScheme(rows, feats, { scheme, k: Number(values.k), innerK: Number(values.inner), repeats: Number(values.repeats), seed, chat, log: (l) => console.log(l) });
      runs.push(ev);
      for (const b of ev.benchmarks) console.log(`\n${formatBenchmark(b, `[${scheme} ${ev.k}-fold, seed ${seed}] ${b.benchmark}`)}`);
      console.log('');
    }
  }
  const summary = summarize(runs);
  console.log(`held-out APGR / CPT, mean ± sd over fold seeds ${values.seeds}:\n${formatSummary(summary)}\n`);
  console.log(`protocol: ${PROTOCOL}`);
  console.log(`evaluated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const metrics = { protocol: PROTOCOL, summary, runs };
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(metrics, null, 2)}\n`);
  if (values['write-card']) {
    const cardPath = cardPathFor(modelPath);
    const card = JSON.parse(fs.readFileSync(cardPath, 'utf8')) as ModelCard;
    card.metrics = metrics;
    fs.writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
    console.log(`metrics written to ${cardPath}`);
  }
}
