// Shared support for the browser tests: a static server for dist/ on 127.0.0.1, Debian's Chromium
// through playwright-core, the tokenfleet CLI for expected values, and the artifacts folder.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { BoardPage } from './pages/board.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'tests', 'e2e', 'artifacts');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.json': 'application/json', '.yaml': 'application/yaml',
};

// Text and wasm are sent gzipped to a browser that accepts it, as static hosts and CDNs do (the wasm
// budget in scripts/wasm-size is in gzipped bytes); the load test's network emulation counts them.
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.wasm', '.css', '.svg', '.json', '.yaml', '.txt']);

/**
 * Serves `dir` on 127.0.0.1 at an ephemeral port; resolves to { url, close }. With `gzip` (the default)
 * compressible files go out with `Content-Encoding: gzip` when the request accepts it.
 */
export async function serveStatic(dir = join(ROOT, 'dist'), { gzip = true } = {}) {
  const gzipped = new Map();
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? path + 'index.html' : path);
    try {
      let body = await readFile(file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
      if (gzip && COMPRESSIBLE.has(extname(file)) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        const cached = gzipped.get(file);
        if (!cached?.source.equals(body)) gzipped.set(file, { source: body, gz: gzipSync(body) });
        body = gzipped.get(file).gz;
        headers['content-encoding'] = 'gzip';
        headers.vary = 'accept-encoding';
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Launches Debian's Chromium headless, never a downloaded browser. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens a page that records console errors, page errors and requests to any origin other than
 * `allowedOrigin`, so tests can assert the app is clean and offline. `contextOptions` go to
 * playwright's newContext (for instance `{ colorScheme: 'dark' }`).
 */
export async function openPage(browser, allowedOrigin, viewport = { width: 1280, height: 800 }, contextOptions = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  const problems = { consoleErrors: [], pageErrors: [], foreignRequests: [] };
  page.on('console', (msg) => { if (msg.type() === 'error') problems.consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err)));
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(allowedOrigin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      problems.foreignRequests.push(url);
    }
  });
  return { context, page, problems };
}

/** Opens the planner in a fresh recorded page (see `openPage`), with its board page object. */
export async function openPlanner(browser, server, viewport, contextOptions) {
  const opened = await openPage(browser, server.url, viewport, contextOptions);
  const board = new BoardPage(opened.page);
  await board.open(server.url);
  return { ...opened, board };
}

/** Asserts a page stayed clean (no page errors, console errors or requests to other origins), then
 * closes its context. */
export async function closeClean({ problems, context }) {
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.foreignRequests, []);
  await context.close();
}

/** Runs the tokenfleet CLI (built by `cargo build -p tokenfleet-cli`) and returns its stdout. */
export function tokenfleet(...args) {
  const bin = process.env.TOKENFLEET_BIN ?? join(ROOT, 'target', 'debug', 'tokenfleet');
  try {
    return execFileSync(bin, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // Exit 1 is a failure answer (a plan that misses its SLOs): the answer is still on stdout.
    if (e.status === 1) return e.stdout;
    throw e;
  }
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
