// What each thread entry of dist/ loads before its first line runs: the outputs it imports
// statically (transitively), and how many bytes of each package or src/ folder they hold. Dynamic
// imports (`await import(...)`) are left out: they load on first use. Usage:
//   node scripts/build.mjs --metafile /tmp/meta.json && node bench/micro/gateway/bundle-imports.mjs /tmp/meta.json [entry...]
// An entry may also be a source file (`src/gateway/gateway.ts`): what `import()` of it loads.
import { readFileSync } from 'node:fs';

const meta = JSON.parse(readFileSync(process.argv[2] ?? '/tmp/meta.json', 'utf8'));
const entries = process.argv.length > 3 ? process.argv.slice(3) : ['localrouter', 'provider-actor', 'mcp-actor', 'classifier-worker', 'store-writer-worker'];

function staticClosure(output) {
  const seen = new Set();
  const stack = [output];
  while (stack.length > 0) {
    const o = stack.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of meta.outputs[o].imports) if (i.kind === 'import-statement' && meta.outputs[i.path]) stack.push(i.path);
  }
  return seen;
}

function groupOf(input) {
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1] : input.split('/').slice(0, 2).join('/');
}

/** An entry name (`localrouter`), or `src/...ts`: the output chunk holding that source, as `import()` loads it. */
function outputOf(name) {
  if (name.startsWith('src/')) return Object.keys(meta.outputs).find((k) => name in meta.outputs[k].inputs);
  return Object.keys(meta.outputs).find((k) => k.endsWith(`/${name}.js`));
}

for (const entry of entries) {
  const outputs = staticClosure(outputOf(entry));
  const bytes = new Map();
  let total = 0;
  for (const o of outputs) {
    for (const [input, v] of Object.entries(meta.outputs[o].inputs)) {
      bytes.set(groupOf(input), (bytes.get(groupOf(input)) ?? 0) + v.bytesInOutput);
      total += v.bytesInOutput;
    }
  }
  const externals = new Set([...outputs].flatMap((o) => meta.outputs[o].imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path)));
  console.log(`== ${entry}: ${(total / 1024).toFixed(0)} KB in ${outputs.size} files loaded at start; native/external: ${[...externals].join(', ') || '-'}`);
  for (const [g, b] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${(b / 1024).toFixed(0).padStart(6)} KB  ${g}`);
}
