import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type GatewayFixture } from '../helpers/gateway-fixture.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/skills');

describe('GET /api/skills', () => {
  let fx: GatewayFixture;
  let token: string;
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skills-broken-'));
  const get = (auth?: string): Promise<Response> => fetch(`http://127.0.0.1:${fx.gw.port}/api/skills`, { headers: auth === undefined ? {} : { authorization: `Bearer ${auth}` } });

  beforeAll(async () => {
    fs.mkdirSync(path.join(broken, 'no-name'));
    fs.writeFileSync(path.join(broken, 'no-name', 'SKILL.md'), '---\ndescription: a skill without a name\n---\nbody\n');
    fx = await startTestGateway({ providers: [], config: { skills: { paths: [EXAMPLES, broken] } } });
    token = fs.readFileSync(path.join(fx.home, 'admin-token'), 'utf8').trim();
  });
  afterAll(async () => {
    await fx?.close();
    fs.rmSync(broken, { recursive: true, force: true });
  });

  it('lists the skills of skills.paths with their documentation, input schema and tool, and the folders that do not load', async () => {
    const res = await get(token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { paths: string[]; skills: any[]; issues: { file: string; reason: string }[] };
    expect(body.paths).toEqual([EXAMPLES, broken]);
    const byName = Object.fromEntries(body.skills.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['folder-digest', 'model-panel', 'release-notes']);
    expect(byName['model-panel']).toMatchObject({
      title: 'Model panel', kind: 'workflow', tool: 'skills__model-panel', version: '1.0.0',
      steps: [{ id: 'ask', kind: 'llm' }, { id: 'judge', kind: 'llm' }], path: path.join(EXAMPLES, 'model-panel'),
    });
    expect(byName['model-panel'].input_schema.required).toEqual(['question', 'models']);
    expect(byName['model-panel'].documentation).toMatch(/^# Model panel/);
    expect(byName['folder-digest'].requires.tools).toEqual(['files__list_directory', 'files__read_text_file']);
    expect(byName['release-notes']).toMatchObject({ kind: 'instructions', tool: 'skills__read', steps: [], output_schema: null });
    expect(body.issues.some((i) => i.file.startsWith(broken))).toBe(true);
  });

  it('needs the admin token: none is 401, a client key 403', async () => {
    expect((await get()).status).toBe(401);
    expect((await get(fx.key)).status).toBe(403);
  });
});
