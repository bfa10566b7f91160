// The walking skeleton: the release build renders exactly what core computes for the example plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPage, tokenfleet, screenshot } from './support.mjs';
import { PlannerPage } from './pages/planner.mjs';

let server;
let browser;

before(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page shows core figures and the exported YAML for the example plan', async () => {
  const expected = JSON.parse(tokenfleet('plan', 'examples/quickstart.yaml', '--format', 'json'));
  const expectedYaml = tokenfleet('export', 'examples/quickstart.yaml');

  const { page, problems, context } = await openPage(browser, server.url);
  const planner = new PlannerPage(page);
  await planner.open(server.url);

  assert.equal(await planner.planName(), 'quickstart');
  assert.equal(await planner.figure('devices'), expected.summary.devices);
  assert.equal(await planner.figure('nodes'), expected.summary.nodes);
  assert.equal(await planner.figure('total-cost-usd-per-hour'), expected.summary.cost_usd_per_hour);
  assert.equal(await planner.exportYaml(), expectedYaml);
  assert.match(await page.getByTestId('total-cost-usd-per-hour').textContent(), /USD\/hour/);

  await screenshot(page, 'skeleton-planner');
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.foreignRequests, []);
  await context.close();
});

test('the page works at a narrow viewport', async () => {
  const { page, problems, context } = await openPage(browser, server.url, { width: 390, height: 844 });
  const planner = new PlannerPage(page);
  await planner.open(server.url);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 390px wide`);
  await screenshot(page, 'skeleton-narrow');
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});
