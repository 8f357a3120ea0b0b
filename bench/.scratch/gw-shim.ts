// SCRATCH ONLY: starts the gateway core without the CLI, to exercise the rig before the CLI exists.
import { writeFileSync } from 'node:fs';
import { startGateway } from '../../src/ingress/index.js';
import { hashClientKey } from '../../src/secrets/index.js';
const [home, mock, execution] = process.argv.slice(2);
const key = `lr-${'k'.repeat(43)}`;
writeFileSync(`${home}/config.yaml`, `version: 1
server:
  execution: ${execution}
providers:
  - name: mock
    type: openai-compatible
    base_url: ${mock}/v1
clients:
  - id: c_benchbench
    name: bench
    key_hash: ${hashClientKey(key)}
    key_prefix: ${key.slice(0, 10)}
    created_at: "2026-01-01T00:00:00Z"
`);
const gw = await startGateway({ home, port: 0 });
console.log(`localrouter listening on http://127.0.0.1:${gw.port}`);
process.on('SIGTERM', () => void gw.close().then(() => process.exit(0)));
