import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import type { RunningGateway } from '../src/server/start-gateway.js';
import { startTestGateway } from './support/gateway-fixture.js';
import { useSharedDatabase } from './support/use-shared-database.js';

// Debian's Chromium, installed by scripts/ensure-system-deps.mjs (npm test's pretest).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

let gateway: RunningGateway;
let browser: Browser | undefined;

beforeAll(async () => {
  const db = await useSharedDatabase('graphiql');
  gateway = await startTestGateway(db.topologyPath, {
    graphiqlDefaultQuery: '{ user(userId: "user-42", consistency: STRONG) { userId name shardId } }',
  });
  await seedDemoUsers(gateway.shards.users, 3, 50);
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe.skipIf(process.env.SHARDGATE_SKIP_BROWSER === '1')('GraphiQL in headless Chromium', () => {
  it('opens offline, runs a query and shows a user', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const external: string[] = [];
    // Anything not served by the gateway itself would fail on a machine without internet.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => {
      external.push(route.request().url());
      return route.abort();
    });
    await page.goto(`http://127.0.0.1:${gateway.port}/graphql`);
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    await page.click('.graphiql-execute-button');
    const result = page.locator('.graphiql-response');
    await result.getByText('"user-42"').waitFor({ timeout: 30_000 });
    const text = (await result.innerText()).replace(/\u00a0/g, ' ');
    expect(text).toContain('"shardId": 0');
    expect(text).toMatch(/"name": "\w+ \w+"/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/graphiql.png` });
    expect(external).toEqual([]);
  });
});
