// Recommend: the optimizer's front, its reasoning, and applying a candidate as one undoable action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPage, screenshot } from './support.mjs';
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

test('Recommend shows the front and its reasoning; Apply commits the recommended plan as one undoable action', async () => {
  const { page, problems, context } = await openPage(browser, server.url);
  const planner = new PlannerPage(page);
  await planner.open(server.url);

  const before = await planner.exportYaml();
  const costBefore = await planner.figure('total-cost-usd-per-hour');
  assert.ok(costBefore > 0);

  // Nothing is searched until asked.
  assert.equal(await page.getByTestId('recommend-candidate').count(), 0);
  await page.getByTestId('recommend-run').click();
  // The closed loop runs one candidate per frame, its progress shown; the button waits for it.
  await page.getByTestId('recommend-progress').waitFor();
  assert.equal(await page.getByTestId('recommend-run').isDisabled(), true);

  const explanation = page.getByTestId('recommend-explanation');
  await explanation.waitFor();
  const reasoning = await explanation.textContent();
  assert.match(reasoning, /Recommended:/);
  assert.match(reasoning, /USD\/hour/);
  assert.equal(await page.getByTestId('recommend-error').count(), 0);

  const candidates = page.getByTestId('recommend-candidate');
  assert.ok((await candidates.count()) >= 1, 'at least one candidate on the front');
  await assert.doesNotReject(page.getByTestId('recommend-front-chart').waitFor({ state: 'visible' }));

  // Every candidate shows its cost and latency bands with units, and a verdict.
  for (const c of await candidates.all()) {
    const text = await c.textContent();
    assert.match(text, /USD\/hour/);
    assert.match(text, /TTFT p99 \d+ ms/);
    assert.match(text, /TPOT p99 [\d.]+ ms/);
    assert.ok((await c.getByTestId('recommend-verdict').textContent()).length > 0);
    // Every point of the front passed its simulated day.
    assert.match(await c.getByTestId('recommend-simulated').textContent(), /Simulated day: meets every SLO on 5 seeds/);
  }
  assert.match(reasoning, /Simulated day \(profile, seeds 1,2,3,4,5\): every SLO met on every seed/);
  assert.equal(await page.getByTestId('recommend-progress').count(), 0);

  const recommended = page.locator('[data-testid="recommend-candidate"][data-recommended="true"]');
  assert.equal(await recommended.count(), 1);
  const name = await recommended.getAttribute('data-candidate');
  assert.ok(name && reasoning.includes(name), 'the explanation names the recommended candidate');
  const recommendedCost = Number(await recommended.getAttribute('data-cost'));
  assert.ok(
    recommendedCost <= costBefore || /more|costs|because|why/i.test(reasoning),
    `recommended ${recommendedCost} USD/hour vs the plan's ${costBefore} USD/hour, with no reason given`,
  );

  await recommended.getByTestId('recommend-apply').click();
  await page.waitForFunction(
    (prev) => document.querySelector('[data-testid="export-yaml"]')?.textContent !== prev,
    before,
  );
  const after = await planner.exportYaml();
  assert.notEqual(after, before);
  const costAfter = await planner.figure('total-cost-usd-per-hour');
  assert.notEqual(costAfter, costBefore, 'the headline cost follows the applied plan');
  assert.ok(costAfter < costBefore, `applied plan costs ${costAfter} USD/hour, the example ${costBefore}`);
  assert.match(await page.getByTestId('total-cost-usd-per-hour').textContent(), /USD\/hour/);
  assert.match(await page.getByTestId('recommend-message').textContent(), /Applied/);
  for (const sev of await page.locator('[data-testid="lint-finding"] .tf-sev').allTextContents()) {
    assert.notEqual(sev, 'error', 'the applied plan has no lint errors');
  }
  assert.equal(await page.locator('[data-testid="lint-finding"].tf-sev-error').count(), 0);

  await screenshot(page, 'recommend-panel');

  // One undo brings the previous plan back whole.
  await page.getByTestId('undo').click();
  await page.waitForFunction(
    (prev) => document.querySelector('[data-testid="export-yaml"]')?.textContent === prev,
    before,
  );
  assert.equal(await planner.exportYaml(), before);
  assert.equal(await planner.figure('total-cost-usd-per-hour'), costBefore);

  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.foreignRequests, []);
  await context.close();
});

test('an SLO no configuration can meet gives a clear message, not a crash', async () => {
  const { page, problems, context } = await openPage(browser, server.url);
  const planner = new PlannerPage(page);
  await planner.open(server.url);
  const limit = page.locator('[id="f-spec.workload.slos[0].limitMs"]');
  await limit.fill('1');
  await limit.press('Enter');
  await limit.blur();
  assert.equal(await limit.inputValue(), '1');
  assert.equal(await limit.getAttribute('aria-invalid'), 'false');
  await page.getByTestId('recommend-run').click();
  const error = page.getByTestId('recommend-error');
  await error.waitFor();
  assert.match(await error.textContent(), /No recommendation: .*SLO/);
  assert.equal(await page.getByTestId('recommend-candidate').count(), 0);
  assert.equal(await page.getByTestId('recommend-front-chart').isVisible(), false);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  await context.close();
});

test('the Pareto front is crisp at 2× pixels: its backing store is its CSS size times the ratio', async () => {
  const { page, problems, context } = await openPage(browser, server.url, { width: 1280, height: 800 }, { deviceScaleFactor: 2 });
  const planner = new PlannerPage(page);
  await planner.open(server.url);
  await page.getByTestId('recommend-run').click();
  await page.getByTestId('recommend-explanation').waitFor({ timeout: 120_000 });
  const chart = page.getByTestId('recommend-front-chart');
  await chart.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid=recommend-front-chart]');
    return c && c.width === Math.round(c.clientWidth * 2);
  });
  const size = await chart.evaluate((c) => ({ width: c.width, height: c.height, cssWidth: c.clientWidth, cssHeight: c.clientHeight }));
  assert.equal(size.height, size.cssHeight * 2, JSON.stringify(size));
  assert.ok(size.cssWidth > 300, JSON.stringify(size));
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  await context.close();
});
