// Plans side by side (pin A, edit into B, compare; kept over reload and in share links), the verdict
// bar that stays in view, and the layout at desktop and phone widths, with screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPlanner, closeClean, tokenfleet, screenshot } from './support.mjs';

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

/** A row of the comparison: its A, B and difference cells' values and the change. */
async function compareRow(page, metric) {
  const row = page.locator(`[data-testid=compare-table] [data-testid=compare-row][data-metric="${metric}"]`);
  const value = async (plan) => {
    const v = await row.locator(`td[data-plan=${plan}]`).getAttribute('data-value');
    return v === '' ? null : Number(v);
  };
  return {
    a: await value('a'),
    b: await value('b'),
    delta: await value('delta'),
    change: await row.locator('td[data-plan=delta]').getAttribute('data-change'),
  };
}

async function daySimulated(page) {
  await page.locator('[data-testid=compare-table] caption:not(:has-text("Simulating"))').waitFor({ timeout: 90_000 });
}

test('pin a plan as A, edit it into B: the table compares them with the CLI figures, survives reload and travels in share links', async () => {
  const a = JSON.parse(tokenfleet('plan', 'examples/quickstart.yaml', '--format', 'json'));
  const opened = await openPlanner(browser, server, { width: 1440, height: 900 });
  const { page, board } = opened;
  await page.getByTestId('compare-pin').click();
  await page.getByTestId('compare-table').waitFor();
  // The same plan on both sides: nothing changes.
  let cost = await compareRow(page, 'cost_usd_per_hour');
  assert.equal(cost.a, a.summary.cost_usd_per_hour);
  assert.equal(cost.b, a.summary.cost_usd_per_hour);
  assert.equal(cost.change, 'same');

  // B keeps two more replicas warm: it costs more, on the figures the CLI gives for that plan.
  await board.setField('spec.deployments[0].replicas.min', '4');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-row][data-metric=cost_usd_per_hour] td[data-plan=delta]')?.dataset.change === 'worse');
  const current = await page.getByTestId('total-cost-usd-per-hour').getAttribute('data-value');
  cost = await compareRow(page, 'cost_usd_per_hour');
  assert.equal(cost.a, a.summary.cost_usd_per_hour);
  assert.equal(cost.b, Number(current));
  assert.ok(Math.abs(cost.delta - (cost.b - cost.a)) < 1e-9);
  const replicas = await compareRow(page, 'replicas.llama3-8b');
  assert.equal(replicas.b - replicas.a, replicas.delta);
  assert.ok(replicas.b >= 4);

  // Both days, judged like `tokenfleet plan` judges them.
  await daySimulated(page);
  const verdict = await compareRow(page, 'day.verdict');
  assert.equal(verdict.a, a.simulated.verdict === 'pass' ? 1 : 0, JSON.stringify(a.simulated));
  assert.ok(verdict.b === 0 || verdict.b === 1);
  const dayCost = await compareRow(page, 'day.cost_usd_per_day');
  assert.ok(Math.abs(dayCost.a - a.simulated.cost_usd_per_day) < 0.01, `${dayCost.a} vs ${a.simulated.cost_usd_per_day}`);
  await screenshot(page, 'compare-1440x900-light');

  // Both days on the same charts: A's lines dashed over B's, in the read-out with A's own figures
  // (A is the quickstart, simulated like `tokenfleet simulate` does it).
  const chart = page.getByTestId('sim-chart');
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.compare === 'true');
  const simA = JSON.parse(tokenfleet('simulate', 'examples/quickstart.yaml', '--step', '2s', '--series-step', '300s')).series;
  await chart.focus();
  await page.keyboard.press('End');
  const last = simA.t_s.length - 1;
  const shown = (v) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2));
  const readout = await page.getByTestId('chart-tooltip').textContent();
  assert.ok(readout.includes(`A: cost: ${shown(simA.cost_usd_cumulative[last])} USD`), readout);
  assert.ok(readout.includes(`A: nodes, all pools: ${simA.nodes[last]} nodes`), readout);
  await page.keyboard.press('Escape');
  await screenshot(page, 'compare-days-1440x900-light');

  // A reload keeps A (storage); the share link carries both plans to another browser.
  const link = await board.shareLink();
  assert.match(link, /#plan=1\.[A-Za-z0-9_-]+&compare=1\.[A-Za-z0-9_-]+$/);
  await page.reload();
  await page.getByTestId('compare-table').waitFor();
  assert.equal((await compareRow(page, 'cost_usd_per_hour')).a, a.summary.cost_usd_per_hour);
  const other = await openPlanner(browser, server, { width: 1280, height: 800 });
  await other.page.goto(link);
  await other.page.getByTestId('compare-table').waitFor();
  const shared = await compareRow(other.page, 'cost_usd_per_hour');
  assert.equal(shared.a, a.summary.cost_usd_per_hour);
  assert.equal(shared.b, Number(current));
  await closeClean(other);

  // Going back to A is one undoable action; stopping the comparison is remembered over a reload.
  await page.getByTestId('compare-open-a').click();
  await page.waitForFunction((v) => document.querySelector('[data-testid=total-cost-usd-per-hour]')?.dataset.value === String(v), a.summary.cost_usd_per_hour);
  await board.undo();
  await page.waitForFunction((v) => document.querySelector('[data-testid=total-cost-usd-per-hour]')?.dataset.value === v, current);
  await page.getByTestId('compare-clear').click();
  assert.equal(await page.getByTestId('compare-table').count(), 0);
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.compare === 'false');
  await page.reload();
  await page.getByTestId('compare-pin').waitFor();
  assert.equal(await page.getByTestId('compare-table').count(), 0);
  await closeClean(opened);
});

test('the verdict stays in view: cost, bands, the day and lint, equal to the panels that explain them', async () => {
  for (const [width, height, scheme] of [[1440, 900, 'light'], [1280, 800, 'dark'], [1440, 900, 'dark'], [1280, 800, 'light']]) {
    const opened = await openPlanner(browser, server, { width, height }, { colorScheme: scheme });
    const { page } = opened;
    await page.locator('[data-testid=day-verdict]:not([data-verdict=pending])').waitFor({ timeout: 60_000 });
    await page.getByTestId('sim-summary').waitFor({ timeout: 60_000 });
    // At a desktop width the inputs and the results sit side by side.
    const workload = await page.locator('[aria-labelledby=workload-title], [data-testid=workload-panel]').first().boundingBox();
    const results = await page.getByTestId('results-panel').boundingBox();
    if (workload) assert.ok(results.x > workload.x + workload.width - 1, `results beside the inputs at ${width} px`);
    assert.ok(results.y < height, `results start within the first screen at ${width}×${height}`);
    // Scrolled to the end of the page, the verdict is still on screen and says what the panels say.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    const bar = page.getByTestId('verdict-bar');
    const box = await bar.boundingBox();
    assert.ok(box.y >= 0 && box.y + box.height <= height, `verdict bar in view after scrolling (${JSON.stringify(box)})`);
    assert.equal(await page.getByTestId('verdict-day').getAttribute('data-verdict'),
      await page.getByTestId('day-verdict').getAttribute('data-verdict'));
    assert.equal(await page.getByTestId('verdict-cost').getAttribute('data-value'),
      await page.getByTestId('total-cost-usd-per-hour').getAttribute('data-value'));
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, `layout-${width}x${height}-${scheme}`);
    await closeClean(opened);
  }
});

test('phone widths: nothing wider than the screen, the verdict on the page', async () => {
  const opened = await openPlanner(browser, server, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  const { page } = opened;
  await page.getByTestId('charts-panel').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
  assert.ok(await page.getByTestId('verdict-bar').isVisible());
  await screenshot(page, 'layout-390x844-light');
  await closeClean(opened);
});
