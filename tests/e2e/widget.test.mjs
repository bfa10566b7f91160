// The embeddable widget (dist/widget/tokenfleet-widget.js) on a foreign page: the widget's files come
// from one origin, the host page from another, with hostile global CSS. Two widgets work
// independently, styles neither leak in nor out, the plan is edited in a widget, and destroy()
// leaves no nodes or listeners behind. Also the <tokenfleet-planner> element and the demo page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { ROOT, launchBrowser, screenshot } from './support.mjs';

const DIST = join(ROOT, 'dist');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
};
const QUICKSTART = await readFile(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8');

// Everything a careless host page could throw at an embedded widget.
const HOSTILE_CSS = `
:root { --panel: rgb(255, 0, 0); --fg: rgb(255, 0, 0); --bg: rgb(255, 0, 0); --border: rgb(255, 0, 0); }
* { color: rgb(255, 0, 0) !important; font-family: "Comic Sans MS", cursive !important; line-height: 3 !important; }
body { font-size: 40px !important; }
button, input { background: rgb(0, 255, 0) !important; border: 9px solid rgb(0, 0, 255) !important; }
section, .tf-panel, fieldset { display: none !important; }
[data-testid] { visibility: hidden !important; }
h2 { font-size: 60px !important; }
`;

/** Serves `files` (path → [type, body]) or dist/, optionally with CORS for another origin. */
async function serve({ files = null, cors = false } = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const headers = cors ? { 'access-control-allow-origin': '*' } : {};
    if (files) {
      const file = files[path];
      res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain', ...headers });
      res.end(file?.[1] ?? 'not found');
      return;
    }
    const rel = normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, '');
    const file = join(DIST, rel.endsWith('/') ? rel + 'index.html' : rel);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

let widgetOrigin;
let browser;
before(async () => {
  widgetOrigin = await serve({ cors: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await widgetOrigin?.close();
});

/** A foreign page (its own origin) with hostile CSS that imports the widget module cross-origin. */
async function foreignPage(body) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Someone else's portal</title><link rel="icon" href="data:,">
<style>${HOSTILE_CSS}</style>
<script type="module">
  import * as tokenfleet from '${widgetOrigin.url}widget/tokenfleet-widget.js';
  window.tokenfleet = tokenfleet;
  window.changes = { a: [], b: [], element: [] };
  dispatchEvent(new Event('tokenfleet-loaded'));
</script></head><body>${body}</body></html>`;
  const host = await serve({ files: { '/': ['text/html; charset=utf-8', html] } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = { consoleErrors: [], pageErrors: [], otherRequests: [] };
  page.on('console', (m) => { if (m.type() === 'error') problems.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => problems.pageErrors.push(String(e)));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(host.url) && !url.startsWith(widgetOrigin.url) && !/^(data|blob):/.test(url)) problems.otherRequests.push(url);
  });
  await page.goto(host.url);
  await page.waitForFunction(() => window.tokenfleet);
  const close = async () => {
    await context.close();
    await host.close();
  };
  return { page, problems, close };
}

/** Every event listener in the document (light and shadow trees) and on window, through CDP. */
async function listenerCount(page) {
  const cdp = await page.context().newCDPSession(page);
  let total = 0;
  for (const expression of ['window', 'document']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId, depth: -1, pierce: true });
    total += listeners.length;
  }
  await cdp.detach();
  return total;
}

test('two widgets on a hostile foreign page work independently, and destroy() leaves nothing behind', async () => {
  const { page, problems, close } = await foreignPage(`
    <h1>Portal</h1>
    <p class="tf-yaml" id="host-yaml">The host's own paragraph, named like a widget class.</p>
    <div id="a"></div><div id="b"></div>`);
  try {
    const hostBefore = await page.evaluate(() => ({
      nodes: document.querySelectorAll('*').length,
      bodyMargin: getComputedStyle(document.body).marginTop,
      yamlBackground: getComputedStyle(document.getElementById('host-yaml')).backgroundColor,
      yamlBoxSizing: getComputedStyle(document.getElementById('host-yaml')).boxSizing,
    }));
    const listenersBefore = await listenerCount(page);

    await page.evaluate(async (yaml) => {
      window.a = window.tokenfleet.mount(document.getElementById('a'), {
        plan: yaml, onChange: (plan) => window.changes.a.push(plan),
      });
      await window.a.ready;
      const other = window.a.getPlan();
      other.metadata.name = 'second-widget';
      window.b = window.tokenfleet.mount(document.getElementById('b'), {
        plan: other, compact: true, onChange: (plan) => window.changes.b.push(plan),
      });
      await window.b.ready;
    }, QUICKSTART);

    const a = page.locator('#a');
    const b = page.locator('#b');
    assert.equal(await a.getByTestId('plan-name').textContent(), 'quickstart');
    assert.equal(await b.getByTestId('plan-name').textContent(), 'second-widget');
    assert.equal(await b.getByTestId('widget-editor').count(), 0, 'compact: results and export only');
    assert.equal(await b.getByTestId('lint-panel').count(), 0, 'compact: results and export only');
    assert.equal(await a.getByTestId('lint-panel').count(), 1);
    // No board to drop on in a widget: deployment cards pin through their pool list only.
    assert.equal(await a.getByTestId('deployment-card').count(), 1);
    assert.equal(await a.getByTestId('deployment-drag-handle').count(), 0);
    assert.equal(await b.getByTestId('export-yaml').count(), 1);

    // Nothing of the host's CSS reaches in.
    const inside = await a.getByTestId('plan-name').evaluate((el) => {
      const s = getComputedStyle(el);
      const panel = getComputedStyle(el.closest('.tf-panel'));
      return { color: s.color, font: s.fontFamily, visibility: s.visibility, panelDisplay: panel.display, panelBg: panel.backgroundColor };
    });
    assert.notEqual(inside.color, 'rgb(255, 0, 0)');
    assert.doesNotMatch(inside.font, /Comic/);
    assert.equal(inside.visibility, 'visible');
    assert.notEqual(inside.panelDisplay, 'none');
    assert.notEqual(inside.panelBg, 'rgb(255, 0, 0)');
    // And nothing of the widget's CSS leaks out.
    const hostAfter = await page.evaluate(() => ({
      bodyMargin: getComputedStyle(document.body).marginTop,
      yamlBackground: getComputedStyle(document.getElementById('host-yaml')).backgroundColor,
      yamlBoxSizing: getComputedStyle(document.getElementById('host-yaml')).boxSizing,
    }));
    assert.deepEqual(hostAfter, { bodyMargin: hostBefore.bodyMargin, yamlBackground: hostBefore.yamlBackground, yamlBoxSizing: hostBefore.yamlBoxSizing });
    await screenshot(page, 'widget-two-on-hostile-page');

    // Edit the plan in widget A: A's onChange sees it, B is untouched.
    const peak = a.locator('[id="f-spec.workload.requestsPerSecond.peak"]');
    await peak.fill('77');
    await peak.blur();
    await page.waitForFunction(() => window.changes.a.length > 0);
    const state = await page.evaluate(() => ({
      lastA: window.changes.a.at(-1).spec.workload.requestsPerSecond.peak,
      a: window.a.getPlan().spec.workload.requestsPerSecond.peak,
      b: window.b.getPlan().spec.workload.requestsPerSecond.peak,
      bChanges: window.changes.b.length,
    }));
    assert.deepEqual(state, { lastA: 77, a: 77, b: 6, bChanges: 0 });

    // setPlan from the page (YAML text) replaces B's plan without echoing through onChange.
    await page.evaluate((yaml) => window.b.setPlan(yaml.replace('name: quickstart', 'name: set-by-page')), QUICKSTART);
    await b.getByTestId('plan-name').filter({ hasText: 'set-by-page' }).waitFor();
    assert.equal(await page.evaluate(() => window.changes.b.length), 0);
    assert.equal(await a.getByTestId('plan-name').textContent(), 'quickstart');
    // A bad plan is refused with a message, and the widget keeps its plan.
    const refused = await page.evaluate(() => { try { window.b.setPlan('kind: Nonsense'); return null; } catch (e) { return String(e.message ?? e); } });
    assert.match(refused, /not valid/);

    assert.ok(await listenerCount(page) > listenersBefore, 'the mounted widgets have listeners (the count sees them)');
    await page.evaluate(() => { window.a.destroy(); window.b.destroy(); window.a.destroy(); });
    const after = await page.evaluate(() => ({
      nodes: document.querySelectorAll('*').length,
      a: document.getElementById('a').childNodes.length,
      b: document.getElementById('b').childNodes.length,
      getPlan: window.a.getPlan(),
    }));
    assert.deepEqual(after, { nodes: hostBefore.nodes, a: 0, b: 0, getPlan: null });
    assert.equal(await listenerCount(page), listenersBefore, 'destroy() removes every listener it added');

    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
    assert.deepEqual(problems.otherRequests, []);
  } finally {
    await close();
  }
});

test('<tokenfleet-planner> takes its plan from a child YAML script or an attribute, read-only and compact', async () => {
  const attributePlan = QUICKSTART.replace('name: quickstart', 'name: from-attribute').replaceAll('"', '&quot;');
  const { page, problems, close } = await foreignPage(`
    <tokenfleet-planner id="scripted"><script type="application/yaml">
${QUICKSTART.replace('name: quickstart', 'name: from-script')}
    </script></tokenfleet-planner>
    <tokenfleet-planner id="attributed" read-only plan="${attributePlan}"></tokenfleet-planner>`);
  try {
    await page.evaluate(async () => {
      const scripted = document.getElementById('scripted');
      scripted.addEventListener('change', (e) => window.changes.element.push(e.detail.plan));
      await scripted.ready;
      await document.getElementById('attributed').ready;
    });
    const scripted = page.locator('#scripted');
    const attributed = page.locator('#attributed');
    assert.equal(await scripted.getByTestId('plan-name').textContent(), 'from-script');
    assert.equal(await attributed.getByTestId('plan-name').textContent(), 'from-attribute');
    assert.equal(await attributed.locator('[id="f-spec.workload.requestsPerSecond.peak"]').isDisabled(), true, 'read-only');

    const peak = scripted.locator('[id="f-spec.workload.requestsPerSecond.peak"]');
    await peak.fill('12');
    await peak.blur();
    await page.waitForFunction(() => window.changes.element.length > 0);
    assert.equal(await page.evaluate(() => document.getElementById('scripted').plan.spec.workload.requestsPerSecond.peak), 12);
    await screenshot(page, 'widget-custom-element');

    // A new plan attribute replaces the plan.
    await page.evaluate((yaml) => document.getElementById('attributed').setAttribute('plan', yaml),
      QUICKSTART.replace('name: quickstart', 'name: attribute-changed'));
    await attributed.getByTestId('plan-name').filter({ hasText: 'attribute-changed' }).waitFor();

    // Removing the element destroys its planner.
    await page.evaluate(() => document.getElementById('scripted').remove());
    assert.equal(await page.evaluate(() => document.querySelectorAll('tokenfleet-planner').length), 1);
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
  } finally {
    await close();
  }
});

test('dist/widget/demo.html runs under its CSP', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${widgetOrigin.url}widget/demo.html`);
    await page.locator('#editor').getByTestId('plan-name').waitFor({ timeout: 30_000 });
    await page.locator('tokenfleet-planner').getByTestId('plan-name').filter({ hasText: 'widget-demo' }).waitFor();
    await screenshot(page, 'widget-demo');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
