// Latency bands in the results panel: per deployment and per SLO, the estimate at p50 / p95 / p99 (and
// at the SLO's own percentile), each marked within or over the SLO's limit, exactly as
// `tokenfleet plan --format json` computes them; readable in light and dark, on a narrow screen.
// Screenshots: tests/e2e/artifacts/bands-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic, launchBrowser, tokenfleet, ARTIFACTS, ROOT, openPlanner, closeClean as clean } from './support.mjs';

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

const fresh = (viewport, contextOptions) => openPlanner(browser, server, viewport, contextOptions);


/** What the results panel shows per deployment row: its bands and their values, with colours. */
function bandsOnPage(page) {
  return page.getByTestId('deployment-result').evaluateAll((rows) => rows.map((row) => ({
    name: row.dataset.deployment,
    bands: [...row.querySelectorAll('[data-testid=latency-band]')].map((band) => ({
      metric: band.dataset.metric,
      percentile: Number(band.dataset.percentile),
      limitMs: Number(band.dataset.limitMs),
      text: band.textContent,
      title: band.title,
      values: [...band.querySelectorAll('[data-testid=latency-percentile]')].map((v) => {
        const style = getComputedStyle(v);
        return {
          percentile: Number(v.dataset.percentile),
          valueMs: v.dataset.valueMs === '' ? null : Number(v.dataset.valueMs),
          meets: v.dataset.meets === '' ? null : v.dataset.meets === 'true',
          slo: v.dataset.slo === 'true',
          text: v.textContent,
          title: v.title,
          color: style.color,
          background: style.backgroundColor,
          fontWeight: Number(style.fontWeight),
        };
      }),
    })),
  })));
}

/** WCAG contrast ratio of two computed `rgb(...)` colours. */
function contrast(a, b) {
  const luminance = (rgb) => {
    const [r, g, bl] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/**
 * The page's bands against the CLI's: same deployments and SLOs in order; p50, p95 and p99 (plus the
 * SLO's own percentile when it is none of them) ascending, equal to the CLI's numbers, the SLO's value
 * equal to `estimate_ms` and emphasised; within/over the limit in text (✓/✗), not colour alone.
 * Returns how many values were checked.
 */
function checkBands(shown, expected, label) {
  assert.deepEqual(shown.map((d) => d.name), expected.deployments.map((d) => d.name), label);
  let checked = 0;
  for (const [row, d] of shown.map((r, i) => [r, expected.deployments[i]])) {
    const where = `${label}/${d.name}`;
    assert.deepEqual(row.bands.map((b) => [b.metric, b.percentile, b.limitMs]),
      d.latency.map((b) => [b.metric, b.percentile, b.limit_ms]), where);
    for (const [band, want] of row.bands.map((b, i) => [b, d.latency[i]])) {
      const at = `${where}/${band.metric} p${band.percentile}`;
      assert.ok(band.title.length > 0, at);
      if (want.saturated) {
        assert.match(band.text, /saturated/, at);
        assert.equal(band.values.length, 0, at);
        continue;
      }
      if (want.p50_ms == null) {
        assert.match(band.text, /no estimate/, at);
        continue;
      }
      assert.match(band.text, want.meets_slo ? /meets ✓/ : /misses ✗/, at);
      const percentiles = band.values.map((v) => v.percentile);
      const expectedPercentiles = [...new Set([50, 95, 99, want.percentile])].sort((a, b) => a - b);
      assert.deepEqual(percentiles, expectedPercentiles, at);
      for (let i = 1; i < band.values.length; i++) {
        assert.ok(band.values[i - 1].valueMs <= band.values[i].valueMs, `${at}: not ascending ${JSON.stringify(band.values)}`);
      }
      const byPercentile = Object.fromEntries(band.values.map((v) => [v.percentile, v]));
      assert.equal(byPercentile[50].valueMs, want.p50_ms, at);
      assert.equal(byPercentile[95].valueMs, want.p95_ms, at);
      assert.equal(byPercentile[99].valueMs, want.p99_ms, at);
      const own = band.values.filter((v) => v.slo);
      assert.equal(own.length, 1, at);
      assert.equal(own[0].percentile, want.percentile, at);
      assert.equal(own[0].valueMs, want.estimate_ms, `${at}: the SLO's value is the CLI's estimate`);
      assert.equal(own[0].meets, want.meets_slo, at);
      for (const v of band.values) {
        assert.equal(v.meets, v.valueMs <= want.limit_ms, `${at} p${v.percentile}`);
        assert.match(v.text, new RegExp(`^p${v.percentile} \\d[\\d.]* (ms|s) ${v.meets ? '✓' : '✗'}`), `${at}: ${v.text}`);
        assert.match(v.title, v.meets ? /within the/ : /over the/, at);
        if (!v.slo) assert.ok(v.fontWeight < own[0].fontWeight, `${at}: the SLO's percentile is emphasised`);
        checked += 1;
      }
    }
  }
  return checked;
}

/** The results panel's simulated day against `plan --format json`'s `simulated`. */
async function checkDay(page, expected, label) {
  const want = expected.simulated;
  // Waits for this plan's day (the previous plan's stays on screen until the new one is simulated).
  const shownNow = () => page.evaluate(() => ({
    verdict: document.querySelector('[data-testid=day-verdict]')?.dataset.verdict,
    attainment: Object.fromEntries([...document.querySelectorAll('[data-testid=day-attainment]')]
      .map((r) => [r.dataset.slo, Number(r.dataset.value)])),
  }));
  let shown;
  for (let i = 0; i < 100; i++) {
    shown = await shownNow();
    if (shown.verdict === want.verdict && JSON.stringify(shown.attainment) === JSON.stringify(want.slo_attainment)) break;
    await page.waitForTimeout(200);
  }
  assert.equal(shown.verdict, want.verdict, `${label}: simulated verdict`);
  assert.deepEqual(shown.attainment, want.slo_attainment, `${label}: simulated attainment`);
  if (want.verdict === 'fail') {
    await page.getByTestId('day-reason').first().waitFor({ timeout: 20000 });
  }
}

const EXAMPLES = ['quickstart', 'disaggregated', 'latency-critical-p5', 'spiky-spot-burst', 'stable-reserved', 'batch-inferentia', 'moe-gpt-oss'];

test('every example shows p50/p95/p99 per SLO per deployment, as the CLI computes them', async () => {
  const session = await fresh();
  const { page, board } = session;
  let checked = 0;
  let saturated = 0;
  for (const name of EXAMPLES) {
    if ((await board.planName()) !== name) {
      await page.getByTestId('template').selectOption(name);
      assert.equal(await board.planName(), name);
    }
    const expected = JSON.parse(tokenfleet('plan', `examples/${name}.yaml`, '--format', 'json'));
    checked += checkBands(await bandsOnPage(page), expected, name);
    // The simulated day beside the bands: the CLI's verdict, the same attainment to the digit.
    await checkDay(page, expected, name);
    await page.locator('.tf-deployments').screenshot({ path: join(ARTIFACTS, `bands-${name}.png`) });
    saturated += expected.deployments.flatMap((d) => d.latency).filter((b) => b.saturated).length;
  }
  // Every example meets its SLOs (issue 14); a saturated band is checked on batch-inferentia with one
  // replica for its baseline, imported.
  assert.ok(checked >= 30, `${checked} values checked`);
  assert.equal(saturated, 0, 'an example is saturated at its own baseline');
  const batch = (await readFile(join(ROOT, 'examples', 'batch-inferentia.yaml'), 'utf8'))
    .replace('min: 2', 'min: 1').replace(/name: batch-inferentia/, 'name: batch-one-replica');
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, 'batch-one-replica.plan.yaml');
  await writeFile(path, batch);
  const one = JSON.parse(tokenfleet('plan', path, '--format', 'json'));
  assert.equal(one.deployments.flatMap((d) => d.latency).filter((b) => b.saturated).length, 1);
  await board.importYaml(batch);
  await page.waitForFunction(() => document.querySelector('[data-testid=plan-name]')?.textContent === 'batch-one-replica');
  checkBands(await bandsOnPage(page), one, 'batch-one-replica');
  await checkDay(page, one, 'batch-one-replica');
  await clean(session);
});

test('an SLO at p90 and one the tail misses: four values, colours readable in light and dark, narrow too', async () => {
  // The quickstart with TTFT at p90 (not one of p50/p95/p99) and a TPOT limit between its p50 and p95.
  const quickstart = await readFile(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8');
  const expectedQuickstart = JSON.parse(tokenfleet('plan', 'examples/quickstart.yaml', '--format', 'json'));
  const tpot = expectedQuickstart.deployments[0].latency.find((b) => b.metric === 'tpot');
  const limit = Math.round((tpot.p50_ms + tpot.p95_ms) / 2 * 10) / 10;
  assert.ok(tpot.p50_ms < limit && limit < tpot.p95_ms, JSON.stringify(tpot));
  const text = quickstart
    .replace(/(- metric: ttft\n\s+percentile:) 95/, '$1 90')
    .replace(/(- metric: tpot\n\s+percentile: 95\n\s+limitMs:) \d+/, `$1 ${limit}`)
    .replace(/name: quickstart/, 'name: bands-p90');
  assert.notEqual(text, quickstart);
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, 'bands-p90.plan.yaml');
  await writeFile(path, text);
  const expected = JSON.parse(tokenfleet('plan', path, '--format', 'json'));
  const [ttftBand, tpotBand] = expected.deployments[0].latency;
  assert.equal(ttftBand.percentile, 90);
  assert.equal(tpotBand.meets_slo, false);

  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['narrow', { width: 390, height: 844 }]]) {
    const session = await fresh(viewport);
    const { page, board } = session;
    await board.importYaml(text);
    await page.waitForFunction(() => document.querySelector('[data-testid=plan-name]')?.textContent === 'bands-p90');
    for (const theme of ['light', 'dark']) {
      if (await page.evaluate(() => document.documentElement.dataset.theme) !== theme) {
        await page.getByRole('button', { name: /Dark|Light/ }).click();
      }
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
      const shown = await bandsOnPage(page);
      const where = `${label} ${theme}`;
      assert.ok(checkBands(shown, expected, where) >= 7, where);
      const [ttft, tpotShown] = shown[0].bands;
      assert.deepEqual(ttft.values.map((v) => [v.percentile, v.slo]), [[50, false], [90, true], [95, false], [99, false]], where);
      assert.deepEqual(tpotShown.values.map((v) => v.meets), [true, false, false], where);
      assert.match(tpotShown.text, /misses ✗/, where);
      // Within and over the limit look different, and every value is readable (WCAG AA, 4.5:1).
      const [within, over] = [tpotShown.values[0], tpotShown.values[1]];
      assert.notEqual(within.background, over.background, where);
      for (const v of [...ttft.values, ...tpotShown.values]) {
        const ratio = contrast(v.color, v.background);
        assert.ok(ratio >= 4.5, `${where} p${v.percentile}: contrast ${ratio.toFixed(2)} (${v.color} on ${v.background})`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${where}: page scrolls sideways by ${overflow}px`);
      const panel = page.getByTestId('deployment-result').first();
      await panel.scrollIntoViewIfNeeded();
      await page.getByTestId('results-panel').screenshot({ path: join(ARTIFACTS, `bands-results-${label}-${theme}.png`) });
    }
    await clean(session);
  }
});
