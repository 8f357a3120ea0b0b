import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EVERYTHING, toolText } from '../helpers/mcp-fixture.js';
import { launchRecordingBrowser, screenshot, startServedGateway, type RecordingBrowser, type ServedGateway } from '../helpers/dashboard-fixture.js';

/** An agent: the MCP SDK's client on the gateway's `/mcp` with a client key. */
async function agent(gw: ServedGateway, key: string): Promise<Client> {
  const client = new Client({ name: 'agent', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  await client.listTools();
  return client;
}

describe('the Approvals view, in a real browser against `localrouter serve`', () => {
  let gw: ServedGateway;
  let browser: RecordingBrowser;
  let page: Page;
  let key: string;

  beforeAll(async () => {
    gw = await startServedGateway({
      server: { shutdown_grace_ms: 1000 },
      mcp_servers: [{ name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING], connect: 'start' }],
      strategies: [{ name: 'careful', ask: { tools: ['everything__echo'] } }],
      allow_empty: true,
    });
    const made = await (await fetch(`${gw.origin}/api/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'agent', strategy: 'careful' }),
    })).json() as { key: string };
    key = made.key;
    browser = await launchRecordingBrowser();
    page = browser.page;
    await page.goto(gw.loginUrl);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (gw) expect(await gw.stop()).toBe(0);
  });

  it('a waiting tool call shows a badge; approved from the keyboard with edited arguments "for this session", the agent gets the edited result', async () => {
    const client = await agent(gw, key);
    const call = client.callTool({ name: 'everything__echo', arguments: { message: 'rm -rf /' } });
    const badge = page.getByTestId('approvals-badge');
    await expect.poll(() => badge.innerText().catch(() => ''), { timeout: 10_000, interval: 200 }).toBe('1');
    // Keyboard only: the navigation link, Enter, then the card's controls.
    await page.getByRole('link', { name: /^Approvals/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
    const card = page.getByRole('article', { name: 'everything__echo' });
    const args = card.getByLabel(/^Arguments/);
    await expect.poll(() => args.inputValue(), { timeout: 10_000 }).toContain('rm -rf /');
    await args.focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('{"message": "ls"}');
    await page.keyboard.press('Tab');
    await card.getByRole('radio', { name: 'For this session' }).focus();
    await page.keyboard.press('Space');
    expect(await card.getByRole('radio', { name: 'For this session' }).isChecked()).toBe(true);
    await screenshot(page, 'approvals');
    await card.getByRole('button', { name: 'Approve' }).focus();
    await page.keyboard.press('Enter');
    expect(toolText(await call)).toBe('Echo: ls');
    await expect.poll(() => badge.count(), { timeout: 10_000 }).toBe(0);
    await page.getByText('Nothing waits for approval.').waitFor();
    // "For this session": the same session's next call runs without asking.
    expect(toolText(await client.callTool({ name: 'everything__echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    await client.close();
  });

  it('a call the tool\'s schema would refuse cannot be approved with such arguments; denied with a reason, the agent gets LR_ERR_APPROVAL_DENIED', async () => {
    const client = await agent(gw, key);
    const call = client.callTool({ name: 'everything__echo', arguments: { message: 'second' } }).then(() => null, (err: McpError) => err);
    const card = page.getByRole('article', { name: 'everything__echo' });
    await card.waitFor({ timeout: 10_000 });
    await card.getByLabel(/^Arguments/).fill('{"message": 42}');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByRole('alert').filter({ hasText: /input schema/ }).waitFor();
    // Enter in the reason denies (its own form): it never approves.
    await card.getByLabel('Reason').fill('not now');
    await page.keyboard.press('Enter');
    const err = await call;
    expect(err).toBeInstanceOf(McpError);
    expect(err?.data).toMatchObject({ code: 'LR_ERR_APPROVAL_DENIED' });
    expect(err?.message).toMatch(/denied by an approver: not now/);
    await page.getByText('Nothing waits for approval.').waitFor();
    await client.close();
  });

  it('requested nothing outside the gateway\'s own origin and broke no CSP rule', () => {
    const foreign = browser.requests.filter((u) => new URL(u).origin !== gw.origin);
    expect(foreign).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
  });
});
