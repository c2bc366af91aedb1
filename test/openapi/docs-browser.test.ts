/**
 * The docs page in a real browser: Debian's headless Chromium (the test installs nothing; it is skipped,
 * with the reason printed, only when no chromium binary exists) loads /docs of bulksync.yaml, lists
 * every operation, fetches nothing from any other origin, breaks no Content-Security-Policy rule, and its
 * "Try it out" calls the operation through the adapter.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { start, startRecorder, type Recorder, type Started } from '../runtime/helpers.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && existsSync(p));
if (!CHROMIUM) console.warn('docs-browser.test.ts: SKIPPED — no chromium binary (apt-get install -y chromium, or set CHROMIUM_PATH)');

describe.skipIf(!CHROMIUM)('the /docs page in headless Chromium', () => {
  let upstream: Recorder;
  let rt: Started;
  let browser: Browser;
  beforeAll(async () => {
    upstream = await startRecorder(() => ({ status: 200, body: { data: [] } }));
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: 'k' } });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'], timeout: 30_000 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await upstream?.close();
  });

  it('lists every operation, loads only from the adapter, and keeps to its CSP', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const res = await page.goto(`${rt.rest}/docs`, { timeout: 30_000 });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const ops = await page.$$eval('.opblock', (els) => els.map((e) => `${e.querySelector('.opblock-summary-method')?.textContent} ${e.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`));
    expect(ops).toHaveLength(11);
    expect(ops).toContain('GET /v1/api/bulk/syncs');
    expect(ops).toContain('DELETE /v1/api/bulk/syncs/{id}');
    expect(await page.title()).toContain('API Reference — subpackage_bulkSync');
    expect(requested.every((u) => u.startsWith(`${rt.rest}/`))).toBe(true);
    expect(requested).toContain(`${rt.rest}/openapi.json`);
    // "Try it out" on the list operation: the request goes to this adapter (servers: /) and on upstream
    upstream.requests.length = 0;
    const list = page.locator('#operations-default-list');
    await list.locator('.opblock-summary').click();
    await list.locator('button.try-out__btn').click();
    await list.locator('button.execute').click();
    const status = list.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(upstream.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/bulk/syncs']);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
