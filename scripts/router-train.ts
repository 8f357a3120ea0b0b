// `npm run router:train [-- --data DIR --out DIR --name NAME --seed N --k N --repeats N]`: trains the routing
// classifier on RouteLLM's correctness labels and writes models/router-<name>.bin plus its card.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { trainRouterModel } from '../src/classifier/index.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.LOCALROUTER_ROUTING_DATA ?? path.resolve(ROOT, '../shared/data/routing') },
    out: { type: 'string', default: path.join(ROOT, 'models') },
    name: { type: 'string', default: 'hashlr' },
    seed: { type: 'string', default: '42' },
    k: { type: 'string', default: '5' },
    repeats: { type: 'string', default: '1' },
  },
});

const t0 = Date.now();
const { card } = await trainRouterModel({
  dataDir: values.data!, outDir: values.out!, name: values.name!, seed: Number(values.seed), k: Number(values.k), repeats: Number(values.repeats),
  log: (line) => console.log(line),
});
console.log(`trained ${card.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s; run \`npm run router:eval -- --write-card\` to put held-out metrics in the card`);
