// What users feel on arrival: from navigation to the first plan's results on screen, in a fresh
// browser context every run (nothing cached), (a) unthrottled on localhost and (b) under DevTools
// emulation of a slow laptop on a mid-range link (4× CPU throttling, 20 Mbit/s, 40 ms round trip).
//
// The figure is the page's first contentful paint (PerformanceObserver 'paint'; ms from navigation
// start, the page's time origin). index.html's body is empty and the app mounts in one task, so that
// paint is the first frame with the plan's results: each run checks that the Cost figure
// (data-testid total-cost-usd-per-hour) had its text before it (a MutationObserver installed
// before the page's scripts). The same page also records when the wasm finished downloading
// (Resource Timing) and when WebAssembly instantiation resolved (a wrapper around
// WebAssembly.instantiate*), so each line says what takes the time: download, compile + instantiate,
// the app's first render (to "results in DOM"), then style, layout and paint.
//
// Each condition runs once to warm the browser process (discarded) and then RUNS times; a median over
// its budget is printed as NOT MET, over twice the budget it fails. The server gzips the wasm, JS and CSS as static hosts do (support.mjs);
// LOAD_GZIP=0 sends them uncompressed, TOKENFLEET_DIST serves another build (the previous release, for
// the README's before figures), LOAD_RUNS sets the number of runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPage, closeClean } from './support.mjs';

const RUNS = Number(process.env.LOAD_RUNS ?? 7);

const CONDITIONS = [
  { name: 'localhost, unthrottled', budgetMs: 400 },
  {
    name: '4× CPU, 20 Mbit/s, 40 ms',
    budgetMs: 1500,
    cpuRate: 4,
    network: { offline: false, latency: 40, downloadThroughput: 20e6 / 8, uploadThroughput: 20e6 / 8 },
  },
];

let server;
let browser;

before(async () => {
  server = await serveStatic(process.env.TOKENFLEET_DIST || undefined, { gzip: process.env.LOAD_GZIP !== '0' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs in the page before its scripts: timestamps for the wasm, the first results and the first paint. */
function instrument() {
  const marks = (window.__tfLoad = {});
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      return original.apply(this, args).then((result) => {
        marks.wasmReady ??= performance.now();
        return result;
      });
    };
  }
  const observer = new MutationObserver(() => {
    const figure = document.querySelector('[data-testid=total-cost-usd-per-hour]');
    if (!figure?.textContent.trim()) return;
    observer.disconnect();
    marks.inDom = performance.now();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') marks.onScreen = entry.startTime;
  }).observe({ type: 'paint', buffered: true });
}

/** One cold load in a fresh context under `condition`; resolves to the page's timestamps (ms). */
async function load(condition) {
  const session = await openPage(browser, server.url);
  const { page } = session;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (condition.network) await cdp.send('Network.emulateNetworkConditions', condition.network);
  if (condition.cpuRate) await cdp.send('Emulation.setCPUThrottlingRate', { rate: condition.cpuRate });
  await page.addInitScript(instrument);
  const wallStart = performance.now();
  await page.goto(server.url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__tfLoad?.onScreen !== undefined && window.__tfLoad.inDom !== undefined, null, { timeout: 30_000, polling: 50 });
  const wall = performance.now() - wallStart;
  const marks = await page.evaluate(() => {
    const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
    return { ...window.__tfLoad, wasmFetched: wasm?.responseEnd, wasmBytes: wasm?.encodedBodySize };
  });
  await cdp.detach();
  await closeClean(session);
  // index.html's body is empty and the app mounts in one task, so its first contentful paint is the
  // first frame with the results in it; a loading placeholder would break that, and this says so.
  assert.ok(marks.onScreen >= marks.inDom, `first contentful paint at ${marks.onScreen} ms, before the results (${marks.inDom} ms)`);
  return { ...marks, wall };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

for (const condition of CONDITIONS) {
  test(`load (${condition.name}): navigation to the first results on screen, against a ${condition.budgetMs} ms median budget`, async () => {
    await load(condition); // warm-up: starts the browser's processes; discarded
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await load(condition));
    const total = runs.map((r) => r.onScreen);
    const part = (f) => ms(median(runs.map(f)));
    console.log(`# load (${condition.name}): median ${ms(median(total))}, max ${ms(Math.max(...total))} ` +
      `(${RUNS} cold runs after a discarded warm-up; medians: wasm fetched ${part((r) => r.wasmFetched)}, ` +
      `compiled + instantiated ${part((r) => r.wasmReady)}, results in DOM ${part((r) => r.inDom)}; ` +
      `wall time around goto ${part((r) => r.wall)}; wasm ${runs[0].wasmBytes} bytes on the wire)`);
    // The budget is met on a quiet 2-core machine (360 ms and 1172 ms measured) but not reliably:
    // the same build measured 500 ms unthrottled in another quiet run, so a miss is printed (and
    // reported in the README) rather than failing the suite, and twice the budget fails: that is a
    // regression (a blocking start-up computation, a bundle that doubled), not noise.
    if (median(total) > condition.budgetMs) {
      console.log(`# load (${condition.name}): NOT MET: median ${ms(median(total))} against the ${condition.budgetMs} ms budget`);
    }
    assert.ok(median(total) <= 2 * condition.budgetMs,
      `median ${ms(median(total))} over twice the ${condition.budgetMs} ms budget (runs: ${total.map(ms).join(', ')})`);
  });
}
