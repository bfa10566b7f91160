// Accessibility: axe-core (npm, pinned in package.json) runs on the planner's main views, in light
// and dark, at a desktop and a phone width, and the test fails on any violation. axe is injected as a
// script, which the page's Content-Security-Policy would refuse, so these pages bypass the CSP; the
// other suites keep it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { serveStatic, launchBrowser, openPlanner, closeClean } from './support.mjs';

const require = createRequire(import.meta.url);
let server;
let browser;
let axeSource;

before(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
  axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs axe on the page (WCAG 2.x A and AA rules plus best practices) and returns its violations. */
async function violations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      rule: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 3).join(' ')}`),
    }));
  });
}

/** Waits until the panels mounted after the first results (charts, recommend, export) and the
 * simulated day are on the page. */
async function settled(page) {
  await page.getByTestId('charts-panel').waitFor();
  await page.locator('[data-testid=day-verdict]:not([data-verdict=pending])').waitFor({ timeout: 60_000 });
  await page.getByTestId('sim-summary').waitFor({ timeout: 60_000 });
}

const VIEWS = [
  { name: 'light, 1440×900', viewport: { width: 1440, height: 900 }, options: { colorScheme: 'light' } },
  { name: 'dark, 1280×800', viewport: { width: 1280, height: 800 }, options: { colorScheme: 'dark' } },
  { name: 'light, phone 390×844', viewport: { width: 390, height: 844 }, options: { colorScheme: 'light', isMobile: true, hasTouch: true } },
];

for (const view of VIEWS) {
  test(`axe finds no violation on the planner (${view.name})`, async () => {
    const opened = await openPlanner(browser, server, view.viewport, { ...view.options, bypassCSP: true });
    const { page } = opened;
    await settled(page);
    // Open every collapsed section, so what is inside is checked too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    const found = await violations(page);
    assert.deepEqual(found, [], `axe violations (${view.name}):\n${JSON.stringify(found, null, 2)}`);
    await closeClean(opened);
  });
}

test('axe finds no violation with Recommend run and lint findings shown', async () => {
  const opened = await openPlanner(browser, server, { width: 1280, height: 800 }, { bypassCSP: true });
  const { page } = opened;
  await settled(page);
  await page.getByTestId('recommend-run').click();
  await page.getByTestId('recommend-apply').first().waitFor({ timeout: 120_000 });
  const found = await violations(page);
  assert.deepEqual(found, [], `axe violations (recommend):\n${JSON.stringify(found, null, 2)}`);
  await closeClean(opened);
});
