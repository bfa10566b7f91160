// The Manifests panel offers what `tokenfleet export --format kustomize|helm|terraform --out DIR`
// writes, as one zip archive each: every file in it equals the CLI's, byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { serveStatic, launchBrowser, openPlanner, closeClean, tokenfleet } from './support.mjs';

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

/** The entries of a zip archive whose entries are stored (not compressed): name → text. Reads the
 * central directory, as unzip does, and checks each entry's CRC-free essentials. */
function storedEntries(buffer) {
  const entries = new Map();
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'an end-of-central-directory record');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  for (let i = 0; i < count; i += 1) {
    assert.equal(buffer.readUInt32LE(at), 0x02014b50, 'a central directory header');
    assert.equal(buffer.readUInt16LE(at + 10), 0, 'stored entries');
    const size = buffer.readUInt32LE(at + 24);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extra = buffer.readUInt16LE(at + 30);
    const comment = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const data = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    entries.set(name, buffer.subarray(data, data + size).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

async function filesUnder(dir) {
  const out = new Map();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath ?? entry.path, entry.name);
      out.set(relative(dir, path), await readFile(path, 'utf8'));
    }
  }
  return out;
}

test('Kustomize, Helm and Terraform downloads hold exactly the files the CLI writes', async () => {
  const opened = await openPlanner(browser, server, { width: 1280, height: 800 });
  const { page } = opened;
  await page.getByTestId('template').selectOption('stable-reserved');
  await page.getByTestId('export-terraform').waitFor();
  for (const format of ['kustomize', 'helm', 'terraform']) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
    assert.equal(download.suggestedFilename(), `stable-reserved-${format}.zip`);
    const entries = storedEntries(await readFile(await download.path()));
    const dir = await mkdtemp(join(tmpdir(), `tokenfleet-${format}-`));
    try {
      tokenfleet('export', 'examples/stable-reserved.yaml', '--format', format, '--out', dir);
      const expected = await filesUnder(dir);
      assert.ok(expected.size > 0);
      assert.deepEqual([...entries.keys()].sort(), [...expected.keys()].map((p) => `stable-reserved-${format}/${p}`).sort());
      for (const [path, text] of expected) {
        assert.equal(entries.get(`stable-reserved-${format}/${path}`), text, `${format}: ${path}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  // A plan without reservations has no Terraform to offer.
  await page.getByTestId('template').selectOption('quickstart');
  await page.waitForFunction(() => document.querySelector('[data-testid=export-terraform]')?.hidden === true);
  await closeClean(opened);
});
