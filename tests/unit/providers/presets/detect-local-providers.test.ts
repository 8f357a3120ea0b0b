import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_TYPES, detectLocalProviders, type LocalProviderType } from '../../../../src/providers/presets/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

async function serve(handler: Handler): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, paths };
}

function json(status: number, body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('detectLocalProviders', () => {
  it('finds the servers that answer, with their models, and skips refused, silent, 404 and non-JSON ports', async () => {
    const ollama = await serve((req, res) => (req.url === '/api/tags'
      ? json(200, { models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest' }, { name: 'qwen3:8b', model: 'qwen3:8b' }] })(req, res)
      : json(404, {})(req, res)));
    const llamacpp = await serve(json(200, { object: 'list', data: [{ id: 'qwen.gguf', object: 'model', owned_by: 'llamacpp' }] }));
    const jan = await serve(json(401, { error: 'unauthorized' }));
    const lmstudio = await serve(json(404, { error: 'not found' }));
    const gpt4all = await serve((_req, res) => res.end('<html>hello</html>'));
    const silent = await serve(() => { /* never answers */ });
    const refused = await closedPort();

    const hosts: Record<LocalProviderType, string> = {
      ollama: `http://127.0.0.1:${ollama.port}`,
      llamacpp: `http://127.0.0.1:${llamacpp.port}/v1`,
      localai: `http://127.0.0.1:${llamacpp.port}/v1`,
      jan: `http://127.0.0.1:${jan.port}/v1`,
      lmstudio: `http://127.0.0.1:${lmstudio.port}/v1`,
      gpt4all: `http://127.0.0.1:${gpt4all.port}/v1`,
      vllm: `http://127.0.0.1:${silent.port}/v1`,
    };
    const started = performance.now();
    const found = await detectLocalProviders({ timeoutMs: 400, hosts });
    const elapsed = performance.now() - started;

    expect(found.map((d) => d.type)).toEqual(['ollama', 'llamacpp', 'jan']);
    expect(found[0]).toMatchObject({ base_url: hosts.ollama, models: ['llama3.2:latest', 'qwen3:8b'], auth_required: false, also: [] });
    expect(found[1]).toMatchObject({ models: ['qwen.gguf'], auth_required: false, also: [] });
    expect(found[2]).toMatchObject({ models: [], auth_required: true });
    // One request per URL, on the presets' model paths; the shared llama.cpp/LocalAI URL once.
    expect(ollama.paths).toEqual(['/api/tags']);
    expect(llamacpp.paths).toEqual(['/v1/models']);
    expect(jan.paths).toEqual(['/v1/models']);
    // Concurrent probes: the silent port costs one timeout, not one per port.
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it('calls a shared-port server LocalAI when its list lacks the llama.cpp mark', async () => {
    const server = await serve(json(200, { object: 'list', data: [{ id: 'phi-2', object: 'model' }] }));
    const base = `http://127.0.0.1:${server.port}/v1`;
    const found = await detectLocalProviders({ timeoutMs: 500, hosts: { llamacpp: base, localai: base }, types: ['llamacpp', 'localai'] });
    expect(found).toEqual([expect.objectContaining({ type: 'localai', models: ['phi-2'], also: [] })]);
  });

  it('reports both candidates when a shared-port server wants a key and cannot be told apart', async () => {
    const server = await serve(json(401, {}));
    const base = `http://127.0.0.1:${server.port}/v1`;
    const found = await detectLocalProviders({ timeoutMs: 500, hosts: { llamacpp: base, localai: base }, types: ['llamacpp', 'localai'] });
    expect(found).toEqual([expect.objectContaining({ type: 'llamacpp', also: ['localai'], auth_required: true })]);
  });

  it('fails fast on a refused connection', async () => {
    const port = await closedPort();
    const started = performance.now();
    const found = await detectLocalProviders({ timeoutMs: 5000, hosts: { ollama: `http://127.0.0.1:${port}` }, types: ['ollama'] });
    expect(found).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('probes the default loopback ports and model paths when no hosts are given', async () => {
    const urls: string[] = [];
    const fetchImpl = (async (input: string | URL | Request) => {
      urls.push(String(input));
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const found = await detectLocalProviders({ fetchImpl });
    expect(found).toEqual([]);
    expect(urls.sort()).toEqual([
      'http://127.0.0.1:11434/api/tags',
      'http://127.0.0.1:1234/v1/models',
      'http://127.0.0.1:1337/v1/models',
      'http://127.0.0.1:4891/v1/models',
      'http://127.0.0.1:8000/v1/models',
      'http://127.0.0.1:8080/v1/models',
    ]);
    expect(LOCAL_PROVIDER_TYPES.length).toBe(7);
  });
});
