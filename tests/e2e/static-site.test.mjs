// The static site: dist/ served by a plain file server under a sub-path works, obeys its strict
// Content-Security-Policy (meta tag, and the same policy as a header), requests nothing from any other
// origin or outside its folder, and the plan can be edited there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { ROOT, launchBrowser, openPage, screenshot } from './support.mjs';
import { PlannerPage } from './pages/planner.mjs';

const DIST = join(ROOT, 'dist');
const PREFIX = '/tools/capacity/tokenfleet/';
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
};
// What a host would send as a header: the meta policy plus what only a header can carry.
const HEADER_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; "
  + "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; "
  + "frame-ancestors 'none'";

/** A plain static server with dist/ mounted under PREFIX only; every request path is recorded. */
async function serveUnderPrefix({ headers = {} } = {}) {
  const requested = [];
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requested.push(path);
    if (!path.startsWith(PREFIX)) {
      res.writeHead(404);
      res.end('outside the site');
      return;
    }
    const rel = normalize(decodeURIComponent(path.slice(PREFIX.length))).replace(/^(\.\.[/\\])+/, '');
    const file = join(DIST, rel === '.' || rel.endsWith('/') ? join(rel, 'index.html') : rel);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, url: origin + PREFIX, requested, close: () => new Promise((ok) => server.close(ok)) };
}

/** Records CSP violations in the page (they are events, not always console errors). */
async function watchCsp(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
}

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('dist/index.html carries a strict CSP and no inline script', async () => {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(csp, 'dist/index.html has a Content-Security-Policy meta tag');
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.ok(!csp.includes("'unsafe-eval'"), csp);
  assert.deepEqual(directives['style-src'], ["'self'"], 'no <style> elements or injected stylesheets');
  // Only style attributes (plotters measures chart text with a styled span) may be inline.
  assert.deepEqual(csp.match(/'unsafe-inline'/g), ["'unsafe-inline'"]);
  assert.deepEqual(directives['style-src-attr'], ["'unsafe-inline'"]);
  assert.deepEqual(directives['connect-src'], ["'self'"]);
  for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(attrs, /\ssrc="\.\//, `every script is a relative file, not inline: <script${attrs}>`);
    assert.equal(body.trim(), '');
  }
  assert.ok(!/(src|href)="\//.test(html), 'no root-relative URL: the site must work from any sub-path');
  // The license notices of what the wasm is built from ship with it.
  const notices = await readFile(join(DIST, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
  assert.match(notices, /^---- leptos \d/m);
  assert.match(notices, /^---- plotters \d/m);
});

for (const mode of ['meta tag', 'meta tag and header']) {
  test(`served from a sub-path with the CSP as ${mode}: loads, edits, stays in its folder`, async () => {
    const server = await serveUnderPrefix(mode === 'meta tag' ? {} : { headers: { 'content-security-policy': HEADER_CSP } });
    const { page, problems, context } = await openPage(browser, server.origin);
    try {
      await watchCsp(page);
      const planner = new PlannerPage(page);
      await planner.open(server.url);
      assert.equal(await planner.planName(), 'quickstart');

      // The hosted page edits the plan: one undoable action, the new value kept.
      assert.equal(await page.getByTestId('undo').isDisabled(), true);
      const peak = page.locator('[id="f-spec.workload.requestsPerSecond.peak"]');
      await peak.fill('40');
      await peak.blur();
      await page.getByTestId('undo').waitFor({ state: 'visible' });
      await page.waitForFunction(() => !document.querySelector('[data-testid="undo"]').disabled);
      assert.match(await page.getByTestId('undo').getAttribute('title'), /Peak rate/i);
      assert.equal(await peak.inputValue(), '40');
      await screenshot(page, `static-site-${mode.replaceAll(' ', '-')}`);

      assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
      assert.deepEqual(problems.pageErrors, []);
      assert.deepEqual(problems.consoleErrors, []);
      assert.deepEqual(problems.foreignRequests, []);
      const outside = server.requested.filter((p) => !p.startsWith(PREFIX));
      assert.deepEqual(outside, [], 'every request stays under the sub-path');
    } finally {
      await context.close();
      await server.close();
    }
  });
}

test('the crash overlay\'s buttons work under the CSP (no inline handlers): discard clears the autosave', async () => {
  const server = await serveUnderPrefix();
  const { page, problems, context } = await openPage(browser, server.origin);
  try {
    await watchCsp(page);
    const planner = new PlannerPage(page);
    await planner.open(server.url);
    await page.waitForFunction(() => localStorage.getItem('tokenfleet.autosave'));
    // The markup show_crash (app/src/lib.rs) writes; its buttons are handled by public/boot.js.
    // A corrupt autosave would be reported after the reload, unless discard removed it.
    await page.evaluate(() => localStorage.setItem('tokenfleet.autosave', 'corrupt'));
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend',
      '<div data-testid="crash"><button data-crash-action="discard" data-autosave-key="tokenfleet.autosave">Discard</button></div>'));
    await Promise.all([page.waitForEvent('load'), page.getByTestId('crash').getByRole('button').click()]);
    await planner.open(server.url);
    assert.equal(await page.getByTestId('crash').count(), 0, 'the page was reloaded');
    assert.doesNotMatch((await page.getByTestId('notice').allTextContents()).join(' '), /could not be restored/);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems.pageErrors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
