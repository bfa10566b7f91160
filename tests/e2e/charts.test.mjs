// Charts and traces in the browser: a replayed trace lives in the plan (undo, autosave, share
// links, the plan download), every chart follows the light and dark themes, and the
// latency-vs-throughput chart covers every deployment. Screenshots: tests/e2e/artifacts/charts-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic, launchBrowser, ROOT, ARTIFACTS, openPlanner, closeClean as clean, tokenfleet } from './support.mjs';

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


/** A day at one row a minute: a diurnal rate with jitter, token columns on every tenth row. */
function dayTrace() {
  const rows = ['t_s,requests_per_s,input_tokens,output_tokens'];
  for (let minute = 0; minute < 1440; minute++) {
    const hour = minute / 60;
    const rate = 2 + 4 * (1 - Math.cos(((hour - 14) * 2 * Math.PI) / 24)) / 2 + ((minute * 7919) % 97) / 100;
    const tokens = minute % 10 === 0 ? `${900 + ((minute * 31) % 300)},${200 + ((minute * 17) % 100)}` : ',';
    rows.push(`${minute * 60},${rate.toFixed(2)},${tokens}`);
  }
  return rows.join('\n') + '\n';
}

const traceSummary = (page) => page.getByTestId('trace-summary').textContent();

/** Opens the trace section (if closed), pastes `csv` and presses "Use this trace". */
async function useTrace(page, csv) {
  if (!(await page.getByTestId('trace').evaluate((d) => d.open))) {
    await page.getByTestId('trace').locator('summary').click();
  }
  await page.getByTestId('trace-csv').fill(csv);
  await page.getByTestId('trace-apply').click();
}

/** RGB of a canvas pixel (the top-left margin is the chart's background). */
function pixel(page, testId, x = 3, y = 3) {
  return page.getByTestId(testId).evaluate((canvas, [x, y]) => [...canvas.getContext('2d').getImageData(x, y, 1, 1).data].slice(0, 3), [x, y]);
}

const isDark = ([r, g, b]) => r < 60 && g < 60 && b < 70;
const isWhite = ([r, g, b]) => r > 245 && g > 245 && b > 245;

/** Waits until the simulated-day chart has been drawn again after `before` (its summary changed). */
async function simulatedAgain(page, before) {
  await page.waitForFunction((b) => {
    const s = document.querySelector('[data-testid=sim-summary]')?.textContent;
    return s && s !== b;
  }, before);
}

/** The simulation's figures (its summary without the time it took). */
async function simFigures(page) {
  return (await page.getByTestId('sim-summary').textContent()).replace(/simulated in \d+ ms/, '');
}

/** Waits until the simulation's figures are `figures` (the same plan and traffic simulated again). */
async function simulatedAs(page, figures) {
  await page.waitForFunction((f) =>
    document.querySelector('[data-testid=sim-summary]')?.textContent.replace(/simulated in \d+ ms/, '') === f, figures);
}

test('a trace is kept in the plan: one undoable action, autosaved, in the share link and the plan download', async () => {
  const session = await fresh();
  const { board, page } = session;
  await page.getByTestId('sim-summary').waitFor();
  const profileSummary = await page.getByTestId('sim-summary').textContent();
  const profileFigures = await simFigures(page);
  const csv = dayTrace();
  await useTrace(page, csv);
  assert.equal(await page.getByTestId('trace-error').textContent(), '');
  assert.match(await traceSummary(page), /Replaying a trace from the plan \(1440 rows\)/);
  await simulatedAgain(page, profileSummary);
  const traceFigures = await simFigures(page);
  assert.notEqual(traceFigures, profileFigures);
  await page.getByTestId('charts-panel').screenshot({ path: join(ARTIFACTS, 'charts-trace.png') });
  assert.equal(await page.getByTestId('traffic-profile').isDisabled(), true, 'the trace replaces the profile');

  // The plan download carries the trace as a readable YAML block.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('plan-download').click()]);
  const planText = await readFile(await download.path(), 'utf8');
  const [header, first] = csv.split('\n');
  assert.ok(planText.includes(`\n    trace:\n      csv: |\n        ${header}\n        ${first}\n`), planText.slice(0, 600));

  // Per-edit cost with the trace in the plan (validation reads the CSV on every edit).
  const times = [];
  for (const peak of [7, 8, 9, 10, 11]) {
    await board.setField('spec.workload.requestsPerSecond.peak', String(peak));
    times.push(Number(await page.getByTestId('recompute-ms').getAttribute('data-value')));
  }
  const median = [...times].sort((a, b) => a - b)[2];
  console.log(`# re-plan + lint + export per edit with a 1440-row trace in the plan: median ${median.toFixed(2)} ms`);
  assert.ok(median <= 4, `median ${median} ms`);

  // Undo of the edits, then of "Use this trace": one action brings the profile back; redo replays.
  for (let i = 0; i < 5; i++) await board.undo();
  assert.equal(await page.getByTestId('undo').getAttribute('title'), 'Undo: Replay a trace (1440 rows) (Ctrl+Z)');
  await board.undo();
  assert.match(await traceSummary(page), /^Replay a trace \(CSV\) instead of the profile$/);
  assert.equal(await page.getByTestId('traffic-profile').isDisabled(), false);
  await simulatedAs(page, profileFigures);
  assert.equal(await page.getByTestId('undo').isDisabled(), true, 'nothing else was recorded');
  await board.redo();
  assert.match(await traceSummary(page), /1440 rows/);
  await simulatedAs(page, traceFigures);

  // Reload: the autosave brings the trace back.
  await page.reload();
  await page.getByTestId('total-cost-usd-per-hour').waitFor();
  assert.match(await traceSummary(page), /1440 rows/);
  assert.equal(await page.getByTestId('trace-csv').inputValue(), csv);
  await simulatedAs(page, traceFigures);

  // The share link carries it to a browser with empty storage.
  const link = await board.shareLink();
  console.log(`# share link with a 1440-row trace: ${link.length} characters (CSV ${csv.length} bytes)`);
  assert.ok(link.length < 32000, `${link.length} characters`);
  assert.equal(await page.getByTestId('share-link-long').count(), 0, 'no warning below 32 000 characters');
  const other = await fresh();
  await other.page.goto(link);
  await other.page.getByTestId('notice').filter({ hasText: /share link/ }).waitFor();
  assert.match(await traceSummary(other.page), /1440 rows/);
  assert.equal(await other.page.getByTestId('trace-csv').inputValue(), csv);
  await simulatedAs(other.page, traceFigures);

  // "Back to the profile" is one action too.
  await other.page.getByTestId('trace-clear').click();
  assert.match(await traceSummary(other.page), /instead of the profile/);
  await other.board.undo();
  assert.match(await traceSummary(other.page), /1440 rows/);
  await clean(other);
  await clean(session);
});

test('a bad or oversized trace is refused at its field and the plan keeps its last good trace', async () => {
  const session = await fresh();
  const { page } = session;
  await useTrace(page, 't_s,requests_per_s\n0,1\n60,lots\n');
  assert.equal(await page.getByTestId('trace-error').textContent(), 'CSV line 3: requests_per_s "lots" is not a number');
  assert.equal(await page.getByTestId('undo').isDisabled(), true);
  // An uploaded file over the 256 KiB limit.
  const week = ['t_s,requests_per_s,input_tokens,output_tokens'];
  for (let m = 0; m < 12000; m++) week.push(`${m * 60},123.456,1024,256`);
  const file = join(ARTIFACTS, 'upload-oversized-trace.csv');
  await writeFile(file, week.join('\n'));
  await page.getByTestId('trace-file').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('[data-testid=trace-csv]').value.length > 262144);
  await page.getByTestId('trace-apply').click();
  assert.match(await page.getByTestId('trace-error').textContent(), /limited to 262144 bytes.*trace\.file/);
  assert.equal(await page.getByTestId('undo').isDisabled(), true);
  await clean(session);
});

test('a plan naming a trace file says the browser cannot read it and simulates the profile', async () => {
  const session = await fresh();
  const { board, page } = session;
  const text = (await readFile(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8'))
    .replace('  workload:\n', '  workload:\n    trace: {file: traces/day.csv}\n');
  await board.importYaml(text);
  await page.getByTestId('trace-file-note').waitFor();
  assert.match(await page.getByTestId('trace-file-note').textContent(), /traces\/day\.csv.*cannot open.*uses the profile/);
  assert.match(await traceSummary(page), /trace file/);
  await page.getByTestId('trace').screenshot({ path: join(ARTIFACTS, 'charts-trace-file.png') });
  await useTrace(page, 't_s,requests_per_s\n0,1\n3600,4\n');
  assert.equal(await page.getByTestId('trace-file-note').count(), 0, 'the inline trace replaces the file');
  assert.match(await traceSummary(page), /2 rows/);
  await clean(session);
});

test('every chart follows the theme: dark backgrounds in dark mode, light in light, redrawn on change', async () => {
  const session = await fresh({ width: 1280, height: 800 }, { colorScheme: 'dark' });
  const { page } = session;
  const canvases = ['sim-chart', 'cost-chart', 'latency-chart', 'compare-chart'];
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the system preference picks dark');
  // Redraw time in the dark theme, like the light one's budget.
  // (Not 'weekly': its first day is the diurnal day, so the summary might not change.)
  const refreshes = [];
  for (const profile of ['steady', 'diurnal', 'diurnal-spikes', 'steady', 'diurnal', 'diurnal-spikes']) {
    const before = await page.getByTestId('sim-summary').textContent();
    await page.getByTestId('traffic-profile').selectOption(profile);
    await simulatedAgain(page, before);
    refreshes.push(Number(await page.getByTestId('sim-chart').getAttribute('data-draw-ms')));
  }
  const median = [...refreshes].sort((a, b) => a - b)[3];
  console.log(`# simulated-day chart refresh in the dark theme: ${refreshes.map((r) => r.toFixed(1)).join(', ')} ms (median ${median.toFixed(1)} ms)`);
  assert.ok(median <= 16, `median ${median} ms`);
  // Chart text is light on dark: the day chart has bright pixels (captions, labels).
  const bright = await page.getByTestId('sim-chart').evaluate((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] > 180 && data[i + 2] > 180) n++;
    return n;
  });
  assert.ok(bright > 500, `only ${bright} light pixels on the dark day chart`);
  await page.getByTestId('recommend-run').click();
  await page.getByTestId('recommend-front-chart').waitFor();
  for (const id of [...canvases, 'recommend-front-chart']) {
    const rgb = await pixel(page, id);
    assert.ok(isDark(rgb), `${id}: background ${rgb} in the dark theme`);
  }
  await page.getByTestId('charts-panel').screenshot({ path: join(ARTIFACTS, 'charts-dark.png') });
  await page.getByTestId('recommend-panel').screenshot({ path: join(ARTIFACTS, 'charts-recommend-dark.png') });

  // The toolbar's button switches to light: every chart is redrawn on white.
  await page.getByTestId('theme-toggle').click();
  for (const id of [...canvases, 'recommend-front-chart']) {
    await page.waitForFunction(([id]) => {
      const c = document.querySelector(`[data-testid=${id}]`);
      const [r, g, b] = c.getContext('2d').getImageData(3, 3, 1, 1).data;
      return r > 245 && g > 245 && b > 245;
    }, [id]);
    assert.ok(isWhite(await pixel(page, id)), id);
  }
  await page.getByTestId('charts-panel').screenshot({ path: join(ARTIFACTS, 'charts-light.png') });
  // Chosen by hand, the theme no longer follows the system preference.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  // The choice is remembered: after a reload in a dark system, the page is still light.
  assert.equal(await page.evaluate(() => localStorage.getItem('tokenfleet.theme')), 'light');
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light', 'the picked theme survives a reload');
  assert.ok(isWhite(await pixel(page, 'sim-chart')), 'and the charts are drawn light');
  await clean(session);
});

test('the charts follow the system theme when it changes while the page is open', async () => {
  const session = await fresh({ width: 1280, height: 800 }, { colorScheme: 'light' });
  const { page } = session;
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  assert.ok(isWhite(await pixel(page, 'sim-chart')));
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  for (const id of ['sim-chart', 'cost-chart', 'latency-chart', 'compare-chart']) {
    await page.waitForFunction(([id]) => {
      const [r, g, b] = document.querySelector(`[data-testid=${id}]`).getContext('2d').getImageData(3, 3, 1, 1).data;
      return r < 60 && g < 60 && b < 70;
    }, [id]);
  }
  await clean(session);
});

test('latency vs throughput covers every deployment, one panel each; a disaggregated one by its prefill stage', async () => {
  const session = await fresh();
  const { board, page } = session;
  const text = (await readFile(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8')).replace('  deployments:\n', `  deployments:
    - name: qwen-7b
      model: Qwen/Qwen2.5-7B-Instruct
      replicas: {min: 1, max: 4}
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
`);
  await board.importYaml(text);
  const chart = page.getByTestId('latency-chart');
  await page.waitForFunction(() => document.querySelector('[data-testid=latency-chart]')?.dataset.deployments === 'qwen-7b,llama3-8b');
  const label = await chart.getAttribute('aria-label');
  assert.match(label, /qwen-7b \(Qwen2\.5 7B · TP 1 · bf16\): g6e\.xlarge/);
  assert.match(label, /llama3-8b \(Llama 3 8B · TP 1 · bf16\): g6e\.xlarge/);
  // One panel per deployment: the canvas is twice as tall and both halves carry a curve.
  assert.equal(await chart.evaluate((c) => c.height), 480);
  const inked = await chart.evaluate((canvas) => {
    const ctx = canvas.getContext('2d');
    const count = (y0) => {
      const data = ctx.getImageData(0, y0, canvas.width, canvas.height / 2).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 120 && data[i + 2] > 180) n++; // the blue series
      return n;
    };
    return [count(0), count(canvas.height / 2)];
  });
  assert.ok(inked[0] > 100 && inked[1] > 100, `blue curve pixels per panel: ${inked}`);
  await chart.screenshot({ path: join(ARTIFACTS, 'charts-latency-two-deployments.png') });

  await page.getByTestId('template').selectOption('disaggregated');
  await page.waitForFunction(() => document.querySelector('[data-testid=latency-chart]')?.dataset.deployments === 'rag-70b');
  assert.match(await chart.getAttribute('aria-label'), /rag-70b \(Llama 3\.1 70B · prefill stage · TP 4 · fp8\): p5\.48xlarge/);
  await clean(session);
});

/** The app's rounding of a read-out value (day.rs `round`). */
const shown = (v) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2));
const hhmm = (t) => {
  const m = Math.round(t / 60);
  return `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

test('the simulated day: crisp at 2× pixels, one panel per row, read-out by pointer and keys, zoom and pan, the events of the CLI', async () => {
  const session = await fresh({ width: 1280, height: 800 }, { deviceScaleFactor: 2, colorScheme: 'light' });
  const { page } = session;
  const chart = page.getByTestId('sim-chart');
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  // The app simulates the quickstart day at 2 s steps and 300 s samples: the CLI's events and series.
  const cli = JSON.parse(tokenfleet('simulate', 'examples/quickstart.yaml', '--step', '2s', '--series-step', '300s'));
  assert.match(await page.getByTestId('sim-summary').textContent(), new RegExp(`^${cli.summary.cost_usd.toFixed(2)} USD for the day`));

  // Every chart's backing store is its CSS size times the pixel ratio, and as wide as its container.
  for (const id of ['sim-chart', 'cost-chart', 'latency-chart', 'compare-chart']) {
    const [w, h, cw, ch, parent] = await page.getByTestId(id).evaluate((c) => [c.width, c.height, c.clientWidth, c.clientHeight, c.parentElement.clientWidth]);
    assert.equal(w, cw * 2, `${id}: backing width ${w} for ${cw} CSS px`);
    assert.equal(h, ch * 2, `${id}: backing height ${h} for ${ch} CSS px`);
    assert.ok(cw > 760 || cw >= parent - 40, `${id}: ${cw} CSS px wide in a ${parent} px container`);
  }
  // One panel per row: requests, replicas, nodes, cost and TTFT (the quickstart has TTFT and TPOT SLOs).
  const [cssWidth, cssHeight] = await chart.evaluate((c) => [c.clientWidth, c.clientHeight]);
  assert.ok(cssHeight >= 5 * 190, `day chart ${cssHeight} CSS px tall`);

  // The events, as the CLI lists them.
  const events = await page.getByTestId('day-event').evaluateAll((lis) => lis.map((li) => [li.dataset.kind, Number(li.dataset.tS)]));
  assert.deepEqual(events, (cli.events ?? []).map((e) => [e.kind, e.t_s]));
  assert.ok(events.some(([k]) => k === 'scale-up') && events.some(([k]) => k === 'scale-down'), 'the afternoon swings show');
  assert.match(await page.getByTestId('day-event').first().textContent(), /^\d\d:\d\d (scale-up|scale-down|burst|node-launch|consolidation|spot-interruption|attainment-dip): /);

  // Keyboard: focus shows the read-out, Home, End and arrows move it a sample at a time, Escape hides it.
  const tooltip = page.getByTestId('chart-tooltip');
  await chart.focus();
  await tooltip.waitFor();
  assert.equal(await tooltip.getAttribute('role'), 'status');
  assert.equal(await tooltip.getAttribute('aria-live'), 'polite');
  await page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  const s = cli.series;
  const i = 2;
  const text = await tooltip.textContent();
  assert.ok(text.startsWith(hhmm(s.t_s[i])), text);
  assert.ok(text.includes(`arriving: ${shown(s.arrival_rate[i])} req/s`), text);
  assert.ok(text.includes(`served: ${shown(s.served_rate[i])} req/s`), text);
  assert.ok(text.includes(`desired: ${shown(s.replicas_desired[i])} replicas`), text);
  assert.ok(text.includes(`cost: ${shown(s.cost_usd_cumulative[i])} USD`), text);
  for (const [name, p] of Object.entries(s.pools)) assert.ok(text.includes(`${name}: ${p.nodes[i]} nodes`), text);
  for (const [name, d] of Object.entries(s.deployments)) assert.ok(text.includes(`TTFT p95 ${name}: ${shown(d.ttft_p95_ms[i])} ms`), text);
  const fontPx = await tooltip.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(fontPx >= 12, `read-out text ${fontPx} px`);
  await page.keyboard.press('End');
  assert.ok((await tooltip.textContent()).startsWith(hhmm(s.t_s[s.t_s.length - 1])));
  await page.keyboard.press('Escape');
  assert.equal(await tooltip.isHidden(), true);

  // Pointer: hovering the middle of the plot reads the sample under it.
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 300);
  await tooltip.waitFor();
  assert.match(await tooltip.textContent(), /^\d\d:\d\d.*arriving: [\d.]+ req\/s/);

  // Zoom and pan: the window is on the chart; every redraw's time is collected.
  const windowOf = async () => [Number(await chart.getAttribute('data-window-start-s')), Number(await chart.getAttribute('data-window-end-s'))];
  assert.deepEqual(await windowOf(), [0, 86400]);
  assert.equal(await page.getByTestId('chart-zoom-reset').isDisabled(), true);
  const draws = [];
  const redrawn = async (act) => {
    const before = (await windowOf()).join();
    await act();
    await page.waitForFunction((b) => {
      const c = document.querySelector('[data-testid=sim-chart]');
      return [c.dataset.windowStartS, c.dataset.windowEndS].join() !== b;
    }, before);
    draws.push(Number(await chart.getAttribute('data-draw-ms')));
    return windowOf();
  };
  // Wheel zooms around the pointer (at the middle of the plot: noon stays about in the middle).
  let [a, b] = await redrawn(() => page.mouse.wheel(0, -100));
  assert.ok(b - a < 86400 && a > 0 && b < 86400, `window ${a}–${b}`);
  [a, b] = await redrawn(() => page.mouse.wheel(0, -100));
  [a, b] = await redrawn(() => page.mouse.wheel(0, -100));
  assert.ok(Math.abs(b - a - 86400 * 0.8 ** 3) < 1, `three zooms in: ${b - a} s`);
  assert.equal(await page.getByTestId('chart-zoom-reset').isDisabled(), false);
  // Drag to the left pans later in the day.
  const span = b - a;
  const [a2, b2] = await redrawn(async () => {
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + 300, { steps: 4 });
    await page.mouse.up();
  });
  assert.ok(a2 > a && Math.abs(b2 - a2 - span) < 1e-6, `dragged window ${a2}–${b2}`);
  // Keys: + zooms, Shift+← pans earlier by a tenth, − zooms out.
  await chart.focus();
  [a, b] = await redrawn(() => page.keyboard.press('+'));
  const [a3, b3] = await redrawn(() => page.keyboard.press('Shift+ArrowLeft'));
  assert.ok(Math.abs(a - a3 - (b - a) / 10) < 1e-6 && Math.abs(b3 - a3 - (b - a)) < 1e-6, `panned ${a}–${b} to ${a3}–${b3}`);
  await redrawn(() => page.keyboard.press('-'));
  await page.keyboard.press('Escape');
  // A zoomed window reads its samples too.
  await page.mouse.move(box.x + box.width / 2, box.y + 300);
  await tooltip.waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'charts-day-zoomed-light.png') });
  await redrawn(() => page.getByTestId('chart-zoom-reset').click());
  assert.deepEqual(await windowOf(), [0, 86400]);
  const sorted = [...draws].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`# chart redraw median: ${median.toFixed(1)} ms over ${draws.length} zooms and pans at 2x pixels, ${cssWidth}x${cssHeight} CSS px (${draws.map((d) => d.toFixed(1)).join(', ')} ms)`);

  // A narrower window: every chart is fitted and drawn again at its new width.
  const before = cssWidth;
  await page.setViewportSize({ width: 900, height: 800 });
  for (const id of ['sim-chart', 'cost-chart', 'latency-chart', 'compare-chart']) {
    await page.waitForFunction(([id, before]) => {
      const c = document.querySelector(`[data-testid=${id}]`);
      return c.clientWidth !== before && c.width === c.clientWidth * 2 && c.height === c.clientHeight * 2;
    }, [id, before]);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction((w) => document.querySelector('[data-testid=sim-chart]').width === w * 2, cssWidth);

  // The charts panel in light and dark, at 1280×800, the read-out showing.
  // The chart's top at the top of the viewport, where the read-out sits.
  await chart.evaluate((c) => c.scrollIntoView({ block: 'start' }));
  const seen = await chart.boundingBox();
  await page.mouse.move(seen.x + seen.width * 0.8, seen.y + 250);
  await tooltip.waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'charts-day-light.png') });
  await page.getByTestId('theme-toggle').click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.waitForFunction(() => {
    const [r, g, b] = document.querySelector('[data-testid=sim-chart]').getContext('2d').getImageData(3, 3, 1, 1).data;
    return r < 60 && g < 60 && b < 70;
  });
  await chart.evaluate((c) => c.scrollIntoView({ block: 'start' }));
  const dark = await chart.boundingBox();
  await page.mouse.move(dark.x + dark.width * 0.8, dark.y + 250);
  await tooltip.waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'charts-day-dark.png') });
  await clean(session);
});

test('the latency-vs-throughput chart draws the plan\'s TTFT SLO as a dashed line', async () => {
  const session = await fresh();
  const { page } = session;
  await page.waitForFunction(() => document.querySelector('[data-testid=latency-chart]')?.dataset.deployments);
  // The dashed line is the theme's text colour (near black on white): a row of dark dashes across the plot.
  const dashedRows = await page.getByTestId('latency-chart').evaluate((canvas) => {
    const ctx = canvas.getContext('2d');
    const { width, height } = canvas;
    const data = ctx.getImageData(0, 0, width, height).data;
    let rows = 0;
    for (let y = 0; y < height; y++) {
      let dark = 0;
      let runs = 0;
      let prev = false;
      for (let x = Math.floor(width * 0.3); x < width - 20; x++) {
        const i = (y * width + x) * 4;
        const d = data[i] < 60 && data[i + 1] < 60 && data[i + 2] < 70;
        if (d) dark++;
        if (d && !prev) runs++;
        prev = d;
      }
      if (runs >= 10 && dark > width * 0.15) rows++;
    }
    return rows;
  });
  assert.ok(dashedRows >= 1, 'a dashed SLO line crosses the latency chart');
  await clean(session);
});
