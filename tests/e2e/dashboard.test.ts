import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli-run.js';
import { EVERYTHING } from '../helpers/mcp-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { launchRecordingBrowser, screenshot, startServedGateway, type RecordingBrowser, type ServedGateway } from '../helpers/dashboard-fixture.js';

/** The name of the element that has keyboard focus, as a screen reader would announce it. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => { const e = document.activeElement; if (!e) return ''; return (e.getAttribute('aria-label') || e.id || e.textContent || e.tagName).trim(); })()`);
}

/** Presses Tab (or Shift+Tab) until the focused element's name is `name` (at most `max` times). */
async function tabTo(page: Page, name: string, max = 30, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if ((await focused(page)) === name) return;
  }
  throw new Error(`Tab never reached "${name}" (last: "${await focused(page)}")`);
}

async function chat(key: string, baseURL: string): Promise<string | null> {
  const client = new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  try {
    return (await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content;
  } catch (err) {
    return `error ${(err as { status?: number }).status ?? (err as Error).message}`;
  }
}

describe('the web dashboard, in a real browser against `localrouter serve`', () => {
  let mock: MockOpenAI;
  let gw: ServedGateway;
  let browser: RecordingBrowser;
  let page: Page;
  let baseURL: string;
  /** The key of the client made for the Overview test, used again later. */
  let trafficKey: string;
  /** A skill folder whose documentation tries to get HTML, scripts and foreign images into the page. */
  const hostileSkills = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-ui-skills-'));

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fs.mkdirSync(path.join(hostileSkills, 'hostile-doc'));
    fs.writeFileSync(path.join(hostileSkills, 'hostile-doc', 'SKILL.md'), [
      '---', 'name: hostile-doc', 'description: Documentation that tries to inject markup.', 'version: 1.0.0', '---',
      '# Hostile', '', 'Raw <b id="raw-html">bold</b> and <script>window.__skillDocRan = 1</script>',
      '', '<img src="x" onerror="window.__skillDocRan = 2">', '', '[click me](javascript:window.__skillDocRan=3)',
      '', '![remote picture](http://198.51.100.7/pixel.png)', '', 'Plain `code` stays.', '',
    ].join('\n'));
    gw = await startServedGateway({
      server: { shutdown_grace_ms: 1000 },
      providers: [{ name: 'mock', type: 'openai-compatible', base_url: mock.url }],
      // A price, so requests cost something the Overview can show.
      price_overrides: { 'mock/echo': { input_per_mtok: 1000, output_per_mtok: 1000 } },
      mcp_servers: [{ name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING], connect: 'start' }],
      // `localrouter/auto` splits between the two mock models with the shipped classifier.
      strategies: [{ name: 'default', auto: { strong_models: ['mock/gpt-test'], weak_models: ['mock/echo'], classifier: 'hashlr', threshold: 0.5 } }],
      // The shipped examples (model-panel runs on the mock's models) and the hostile one.
      skills: { paths: [path.resolve('examples/skills'), hostileSkills] },
      allow_empty: true,
    }, { 'provider:mock': 'sk-upstream-test' });
    baseURL = `${gw.origin}/v1`;
    browser = await launchRecordingBrowser();
    page = browser.page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (gw) expect(await gw.stop()).toBe(0);
    await mock?.close();
    fs.rmSync(hostileSkills, { recursive: true, force: true });
  });

  it('logs in with the one-time link: a session cookie (HttpOnly, SameSite=Strict), the code gone from the address bar', async () => {
    await page.goto(gw.loginUrl);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    const cookies = await browser.context.cookies(gw.origin);
    const session = cookies.find((c) => c.name === `lr_session_${gw.port}`);
    expect(session).toBeDefined();
    expect(session!.httpOnly).toBe(true);
    expect(session!.sameSite).toBe('Strict');
    // The page's script cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('Overview: live numbers move when a client sends requests; providers and MCP servers show their state', async () => {
    // A client made through the admin API with the admin token (the CLI's way); the dashboard shows its traffic.
    const made = await (await fetch(`${gw.origin}/api/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'traffic-maker' }),
    })).json() as { key: string };
    trafficKey = made.key;
    await expect.poll(() => chat(made.key, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    for (let i = 0; i < 5; i++) await chat(made.key, baseURL);
    await expect.poll(async () => page.getByTestId('requests-today').innerText(), { timeout: 15_000, interval: 250 }).toMatch(/Requests today\s*[1-9]/);
    await expect.poll(async () => page.getByTestId('cost-today').innerText(), { timeout: 15_000, interval: 250 }).toMatch(/\$0\.0*[1-9]/);
    await page.locator('tr', { hasText: 'mock' }).first().waitFor();
    await expect.poll(async () => page.locator('tr', { hasText: 'everything' }).innerText(), { timeout: 15_000, interval: 250 }).toMatch(/connected|ready/);
    await expect.poll(async () => page.getByText(/^Live · updated/).count(), { timeout: 5000 }).toBe(1);
    await screenshot(page, 'overview');
  });

  it('Clients, keyboard only: create a client, and its key (shown once) works with the OpenAI SDK', async () => {
    await page.goto(`${gw.origin}/#/overview`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await tabTo(page, 'Clients');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    await tabTo(page, 'client-name');
    await page.keyboard.type('sdk-app');
    await tabTo(page, 'Create client');
    await page.keyboard.press('Enter');
    const keyBox = page.getByTestId('new-key');
    await keyBox.waitFor();
    const key = await keyBox.inputValue();
    expect(key).toMatch(/^lr-[A-Za-z0-9_-]{40,}$/);
    await screenshot(page, 'clients');
    await expect.poll(() => chat(key, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    // Shown once: after "Done" the page holds only the prefix.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(key);
    expect(await page.locator('tr[data-client="sdk-app"]').innerText()).toContain(key.slice(0, 10));
  });

  it('Clients: disable refuses the key, enable restores it, rotate replaces it, delete removes it', async () => {
    const row = page.locator('tr[data-client="sdk-app"]');
    await row.getByRole('button', { name: 'Rotate key' }).click();
    const key = await page.getByTestId('new-key').inputValue();
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => chat(key, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => chat(key, baseURL), { timeout: 5000, interval: 100 }).toBe('error 401');
    await row.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => chat(key, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: /Really delete/ }).click();
    await expect.poll(() => row.count(), { timeout: 10_000, interval: 250 }).toBe(0);
    await expect.poll(() => chat(key, baseURL), { timeout: 5000, interval: 100 }).toBe('error 401');
    // A client the CLI makes meanwhile shows up in the open view (same config file, same locked writes).
    const made = spawnSync(process.execPath, [BIN, '--home', gw.home, 'clients', 'create', 'cli-made', '--json'],
      { env: { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file' }, encoding: 'utf8', timeout: 60_000 });
    expect(made.status).toBe(0);
    await expect.poll(() => page.locator('tr[data-client="cli-made"]').count(), { timeout: 10_000, interval: 250 }).toBe(1);
  });

  it('Request log: filters by client and status, and a row opens its attempts, usage and cost', async () => {
    const made = await (await fetch(`${gw.origin}/api/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'log-maker' }),
    })).json() as { key: string };
    await expect.poll(() => chat(made.key, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    const failing = new OpenAI({ apiKey: made.key, baseURL, maxRetries: 0 });
    await expect(failing.chat.completions.create({ model: 'mock/error-500', messages: [{ role: 'user', content: 'boom' }] })).rejects.toThrow();
    await page.goto(`${gw.origin}/#/logs`);
    await page.getByRole('heading', { name: 'Request log' }).waitFor();
    await page.getByLabel('Client').selectOption('log-maker');
    const table = page.getByRole('table', { name: 'Requests' });
    await expect.poll(async () => table.locator('tbody tr').count(), { timeout: 10_000, interval: 250 }).toBe(2);
    await page.getByLabel('Status').selectOption('error');
    await expect.poll(async () => table.locator('tbody tr').innerText(), { timeout: 10_000, interval: 250 }).toMatch(/mock\/error-500/);
    expect(await table.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Status').selectOption('ok');
    await expect.poll(async () => table.locator('tbody tr').innerText(), { timeout: 10_000, interval: 250 }).toMatch(/mock\/echo/);
    await table.getByRole('button', { name: /Details of/ }).first().click();
    const detail = page.getByRole('region', { name: 'Request details' });
    await expect.poll(() => detail.innerText(), { timeout: 10_000, interval: 250 }).toMatch(/mock\/echo/);
    expect(await detail.innerText()).toMatch(/Prompt tokens\s*11/);
    expect(await detail.innerText()).toMatch(/Cost\s*\$0\.0*[1-9]/);
    await screenshot(page, 'request-log');
    // The text search runs on the server over the whole log.
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Text').fill('ERROR-500');
    await expect.poll(async () => table.locator('tbody tr').count(), { timeout: 10_000, interval: 250 }).toBe(1);
    expect(await table.locator('tbody tr').innerText()).toMatch(/mock\/error-500/);
    await page.getByLabel('Text').fill('');
  });

  it('Traffic: range and dimension pickers chart each client, with top spenders and cost per day', async () => {
    await page.goto(`${gw.origin}/#/traffic`);
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();
    await page.getByRole('radio', { name: 'Day' }).click();
    await page.getByLabel('By').selectOption('client');
    await expect.poll(async () => page.locator('.chart').first().innerText(), { timeout: 10_000, interval: 250 }).toMatch(/traffic-maker/);
    expect(await page.locator('.chart').first().innerText()).toMatch(/log-maker/);
    await page.getByLabel('Metric').selectOption('cost_usd');
    await expect.poll(async () => page.locator('.chart figcaption').first().innerText(), { timeout: 10_000, interval: 250 }).toMatch(/Cost \(USD\) by client/);
    const spenders = page.getByRole('table', { name: 'Top spenders' });
    await expect.poll(async () => spenders.innerText(), { timeout: 10_000 }).toMatch(/traffic-maker\s*\$0\.0*[1-9]/);
    expect(await page.locator('.chart figcaption', { hasText: 'Cost per day' }).count()).toBe(1);
    // uPlot draws on canvases inside the charts.
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'traffic');
  });

  it('Providers: add one from a preset (its key goes to the secret store, never back to the page), test it, list its models, use it', async () => {
    await page.goto(`${gw.origin}/#/providers`);
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    const upstreamKey = 'sk-upstream-test';
    await page.getByLabel('Preset').selectOption('openai');
    await page.getByLabel('Name').fill('work-openai');
    await page.getByLabel('Base URL').fill(mock.url);
    await page.getByLabel('API key').fill(upstreamKey);
    await page.getByRole('button', { name: 'Add provider' }).click();
    const row = page.locator('tr[data-provider="work-openai"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('in the secret store');
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    expect(fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8')).not.toContain(upstreamKey);
    expect(await page.content()).not.toContain(upstreamKey);
    const settings = await (await fetch(`${gw.origin}/api/provider-settings`, { headers: { authorization: `Bearer ${gw.adminToken}` } })).text();
    expect(settings).not.toContain(upstreamKey);
    // The gateway takes the new provider on its config reload; then the connection test lists the mock's two models.
    await expect.poll(async () => {
      await row.getByRole('button', { name: 'Test connection' }).click();
      await page.getByTestId('test-work-openai').filter({ hasNotText: 'Testing' }).waitFor();
      return page.getByTestId('test-work-openai').innerText();
    }, { timeout: 10_000, interval: 300 }).toMatch(/Connected: 2 models/);
    await row.getByRole('button', { name: 'Models' }).click();
    const models = page.getByRole('region', { name: 'Models of work-openai' });
    await expect.poll(() => models.innerText(), { timeout: 5000 }).toContain('work-openai/gpt-test');
    await screenshot(page, 'providers');
    const made = await (await fetch(`${gw.origin}/api/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'provider-user' }),
    })).json() as { key: string };
    const sdk = new OpenAI({ apiKey: made.key, baseURL, maxRetries: 0 });
    await expect.poll(async () => {
      try {
        return (await sdk.chat.completions.create({ model: 'work-openai/echo', messages: [{ role: 'user', content: 'via preset' }] })).choices[0]!.message.content;
      } catch (err) {
        return (err as Error).message;
      }
    }, { timeout: 5000, interval: 100 }).toBe('echo: via preset');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: /Really delete/ }).click();
    await expect.poll(() => row.count(), { timeout: 10_000, interval: 250 }).toBe(0);
    expect(fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8')).not.toContain('work-openai');
  });

  it('Try it: streams a chat as a chosen client, with the route decision of localrouter/auto and the cost of each answer', async () => {
    await page.goto(`${gw.origin}/#/try`);
    await page.getByRole('heading', { name: 'Try it' }).waitFor();
    await page.getByLabel('Client').selectOption('traffic-maker');
    await expect.poll(async () => page.getByLabel('Model').locator('option').allInnerTexts(), { timeout: 5000 }).toContain('mock/echo');
    await page.getByLabel('Model').selectOption('localrouter/auto');
    await page.getByLabel('Message', { exact: true }).fill('What is 2 + 2?');
    await page.getByRole('button', { name: 'Send' }).click();
    const info = page.getByTestId('turn-info').last();
    await expect.poll(() => info.innerText(), { timeout: 10_000, interval: 200 }).toMatch(/route: hashlr chose (strong|weak) \(score 0\.\d+, threshold 0\.500\)/);
    expect(await info.innerText()).toMatch(/Answered by mock\/(gpt-test|echo)/);
    await page.getByLabel('Model').selectOption('mock/echo');
    await page.getByLabel('Message', { exact: true }).fill('stream me');
    await page.getByRole('button', { name: 'Send' }).click();
    const answers = page.locator('.msg[data-role="assistant"]');
    await expect.poll(() => answers.last().innerText(), { timeout: 10_000 }).toBe('echo: stream me');
    await expect.poll(() => info.innerText(), { timeout: 10_000, interval: 200 }).toMatch(/Answered by mock\/echo · 11 → 7 tokens · cost \$0\.0*[1-9]/);
    // Each answer keeps its own: the first one still shows its route decision.
    expect(await page.getByTestId('turn-info').first().innerText()).toMatch(/route: hashlr/);
    await screenshot(page, 'try-it');
  });

  it('Strategies: denying a model shows in the preview, and once saved the client gets 403 for it; undoing it lets it through again', async () => {
    await page.goto(`${gw.origin}/#/strategies`);
    await page.getByRole('heading', { name: 'Strategies' }).waitFor();
    const summary = page.getByTestId('preview-summary');
    await expect.poll(() => summary.innerText(), { timeout: 10_000 }).toMatch(/would see (\d+) of \1 models/);
    expect(await page.getByRole('list', { name: 'Models a client would see' }).innerText()).toContain('mock/echo');
    await page.getByLabel(/^Deny/).fill('mock/echo');
    await expect.poll(() => page.getByRole('list', { name: 'Models a client would see' }).innerText(), { timeout: 5000 }).not.toContain('mock/echo');
    expect(await summary.innerText()).toMatch(/would see (\d+) of (\d+) models/);
    // The classifier's calibration curve and the share a threshold sends to the strong list.
    expect(await page.getByTestId('share-estimate').innerText()).toMatch(/About \d+\.\d% of requests/);
    expect(await page.locator('.chart figcaption', { hasText: 'Calibration of hashlr' }).count()).toBe(1);
    await screenshot(page, 'strategies');
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved default' }).waitFor();
    await expect.poll(() => chat(trafficKey, baseURL), { timeout: 5000, interval: 100 }).toBe('error 403');
    await page.getByLabel(/^Deny/).fill('');
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await expect.poll(() => chat(trafficKey, baseURL), { timeout: 5000, interval: 100 }).toBe('echo: hi');
    // An edit the config refuses (a limit of 0) is answered with its reason, and nothing changes.
    await page.getByRole('button', { name: 'Add limit' }).click();
    await page.getByLabel('Max of limit 1').fill('0');
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await page.getByRole('status').filter({ hasText: /limits/ }).waitFor();
    expect(fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8')).not.toMatch(/max: 0\b/);
    await page.getByRole('button', { name: 'Discard changes' }).click();
  });

  it('MCP servers: state, the tools a client may use, and a tool called from the form its input schema generates; add and remove a server', async () => {
    await page.goto(`${gw.origin}/#/mcp`);
    await page.getByRole('heading', { name: 'MCP servers' }).waitFor();
    await expect.poll(() => page.locator('tr[data-server="everything"]').innerText(), { timeout: 10_000 }).toMatch(/stdio\s*(ready|connected)/);
    await page.getByLabel('As client').selectOption('traffic-maker');
    const tools = page.getByRole('table', { name: 'Tools' });
    await tools.getByRole('button', { name: 'everything__echo' }).click({ timeout: 15_000 });
    const form = page.getByRole('region', { name: 'Try everything__echo' });
    await form.getByLabel(/^message/).fill('hello tool');
    await form.getByRole('button', { name: 'Call tool' }).click();
    await expect.poll(() => form.getByTestId('tool-result').innerText(), { timeout: 10_000 }).toContain('Echo: hello tool');
    await screenshot(page, 'mcp');
    await page.getByLabel('Name', { exact: true }).fill('second');
    await page.getByLabel('Command').fill(process.execPath);
    await page.getByLabel('Arguments').fill(EVERYTHING);
    await page.getByLabel(/^Environment/).fill('PLAIN_SETTING=shown');
    await page.getByLabel('Secret variable').fill('SECOND_TOKEN');
    await page.getByLabel(/^Secret value/).fill('typed-secret-value');
    await page.getByRole('button', { name: 'Add server' }).click();
    await expect.poll(() => page.locator('tr[data-server="second"]').count(), { timeout: 10_000 }).toBe(1);
    // The secret went to the secret store: not into the file, and not left in the form.
    const yaml = fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8');
    expect(yaml).toContain('PLAIN_SETTING');
    expect(yaml).not.toContain('typed-secret-value');
    expect(await page.getByLabel(/^Secret value/).inputValue()).toBe('');
    await page.locator('tr[data-server="second"]').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.locator('tr[data-server="second"]').count(), { timeout: 10_000 }).toBe(0);
  });

  it('Skills: the list with each skill\'s documentation, and a skill run as a chosen client from the form its input schema generates', async () => {
    await page.goto(`${gw.origin}/#/skills`);
    await page.getByRole('heading', { name: 'Skills', level: 1 }).waitFor();
    await page.getByLabel('As client').selectOption('traffic-maker');
    const table = page.getByRole('table', { name: 'Skills' });
    await expect.poll(() => table.innerText(), { timeout: 10_000 }).toMatch(/folder-digest[\s\S]*model-panel[\s\S]*release-notes/);
    await expect.poll(() => page.locator('tr[data-skill="model-panel"]').innerText(), { timeout: 15_000 }).toMatch(/workflow \(2 steps\)[\s\S]*yes/);
    await table.getByRole('button', { name: 'model-panel' }).click();
    const detail = page.getByRole('region', { name: 'Skill model-panel' });
    const doc = detail.getByTestId('skill-doc');
    await doc.getByRole('heading', { name: 'Model panel' }).waitFor();
    expect(await doc.locator('code', { hasText: 'continue_on_error' }).count()).toBe(1);
    const form = detail.getByRole('region', { name: 'Try skills__model-panel' });
    await form.getByLabel(/^question \(required\)/).fill('Which is best?');
    await form.getByLabel(/^models \(required\)/).fill('["mock/echo", "mock/gpt-test"]');
    await form.getByLabel(/^judge/).fill('mock/echo');
    await form.getByRole('button', { name: 'Run skill' }).click();
    const result = form.getByTestId('tool-result');
    await expect.poll(() => result.innerText(), { timeout: 20_000, interval: 250 }).toMatch(/"verdict": "echo: Question: Which is best\?/);
    expect(await result.innerText()).toMatch(/"model": "mock\/gpt-test"/);
    expect(await form.getByRole('list', { name: 'Steps' }).locator('li').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'skills');
    // The run is in the request log, as a skill run of this client.
    const logs = await (await fetch(`${gw.origin}/api/logs?kind=mcp&client=traffic-maker&q=model-panel`, { headers: { authorization: `Bearer ${gw.adminToken}` } })).json() as { data: { tool: string; status: number }[] };
    expect(logs.data[0]).toMatchObject({ tool: 'model-panel', status: 200 });

    // Documentation is Markdown drawn as elements: raw HTML, scripts, javascript: links and foreign images never reach the page.
    await table.getByRole('button', { name: 'hostile-doc' }).click();
    const hostile = page.getByRole('region', { name: 'Skill hostile-doc' }).getByTestId('skill-doc');
    await hostile.getByText('Plain').waitFor();
    expect(await hostile.locator('script, img, b, iframe').count()).toBe(0);
    expect(await page.locator('#raw-html').count()).toBe(0);
    expect(await hostile.innerText()).toContain('[image: remote picture]');
    const link = hostile.getByRole('link', { name: 'click me' });
    expect(await link.getAttribute('href') ?? '').not.toMatch(/javascript:/i);
    expect(await page.evaluate('window.__skillDocRan === undefined')).toBe(true);
    // An instruction-only skill has nothing to run.
    await table.getByRole('button', { name: 'release-notes' }).click();
    await page.getByRole('region', { name: 'Skill release-notes' }).getByText(/instruction-only skill/).waitFor();
  });

  it('keyboard only: every view opens from the navigation with Tab and Enter, and focus moves to its content', async () => {
    await page.goto(`${gw.origin}/#/overview`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const views = await page.getByRole('navigation', { name: 'Views' }).getByRole('link').allInnerTexts();
    expect(views.length).toBeGreaterThanOrEqual(4);
    for (const label of views) {
      // From the view's content (focused after each switch), back into the navigation.
      await tabTo(page, label, 30, 'Shift+Tab');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: label }).waitFor();
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('main');
    }
  });

  it('a call without the CSRF token is refused even with the session cookie', async () => {
    const status = await page.evaluate(`fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"no-csrf"}' }).then((r) => r.status)`);
    expect(status).toBe(403);
  });

  it('logs out: the session ends, the used login link does not work again, the admin token logs in', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'LocalRouter' }).waitFor();
    expect(await page.evaluate(`fetch('/api/clients').then((r) => r.status)`)).toBe(401);
    await page.goto(gw.loginUrl);
    await page.getByRole('alert').filter({ hasText: 'already used' }).waitFor();
    await page.getByLabel('Admin token').fill('lra-wrong-token-wrong-token-wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await page.getByLabel('Admin token').fill(gw.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('the whole session requested nothing outside the gateway\'s own origin and broke no CSP rule', () => {
    expect(browser.requests.length).toBeGreaterThan(5);
    const foreign = browser.requests.filter((u) => new URL(u).origin !== gw.origin);
    expect(foreign).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
  });

  it('the CSP listener of this test does catch a violation (an inline style attribute)', async () => {
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<div style="color: red">inline</div>')`);
    await expect.poll(() => browser.cspViolations.join('\n'), { timeout: 5000 }).toMatch(/style-src/);
  });
});
