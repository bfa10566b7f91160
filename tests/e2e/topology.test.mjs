// The live topology view (issue 20, item 2): lanes in weight order with the CLI's placement, an edit
// followed, the day scrubber against `tokenfleet simulate`, pinning by drag and by keyboard with undo,
// the edit-to-DOM time, and screenshots at 1280x800 and 1440x900 in light and dark
// (tests/e2e/artifacts/topology-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveStatic, launchBrowser, tokenfleet, openPlanner, closeClean as clean, ROOT, ARTIFACTS } from './support.mjs';

let server;
let browser;

before(async () => {
  // TOPOLOGY_DIST serves another build (the edit-to-DOM timing of a build without the view).
  server = await serveStatic(process.env.TOPOLOGY_DIST ?? join(ROOT, 'dist'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const fresh = (viewport, contextOptions) => openPlanner(browser, server, viewport, contextOptions);

/** A second NodePool to pin onto: spot G6e, as people paste them. */
const SPOT_POOL = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: gpu-spot
spec:
  template:
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      requirements:
      - key: karpenter.sh/capacity-type
        operator: In
        values: [spot]
      - key: karpenter.k8s.aws/instance-family
        operator: In
        values: [g6e]
      taints:
      - key: nvidia.com/gpu
        effect: NoSchedule
  limits:
    nvidia.com/gpu: "8"
  weight: 10
`;

/** What the view shows: per lane, its pool, nodes (type/capacity/state) and pods (deployment/state). */
async function topology(page) {
  return page.getByTestId('topology-view').evaluate((view) => ({
    sample: view.dataset.sample ?? null,
    lanes: [...view.querySelectorAll('[data-testid=topology-lane]')].map((lane) => ({
      pool: lane.dataset.pool,
      title: lane.querySelector('h4').textContent,
      nodes: [...lane.querySelectorAll('[data-testid=topology-node]')].map((n) => ({
        type: `${n.dataset.instanceType}/${n.dataset.capacityType}`,
        state: n.dataset.state,
        pods: n.querySelectorAll('[data-testid=topology-pod]').length,
        slots: n.querySelectorAll('[data-testid=topology-slot]').length,
      })),
      pods: [...lane.querySelectorAll('[data-testid=topology-pod]')].map((p) => ({ deployment: p.dataset.deployment, state: p.dataset.state })),
    })),
  }));
}

const count = (xs, f) => xs.filter(f).length;

test('the view lists the pools in weight order with the CLI placement, and follows an edit', async () => {
  const session = await fresh();
  const { page, board } = session;
  const expected = JSON.parse(tokenfleet('plan', 'examples/quickstart.yaml', '--format', 'json'));
  const shown = await topology(page);
  assert.equal(shown.sample, null, 'the static plan at peak first');
  assert.deepEqual(shown.lanes.map((l) => l.pool), expected.pools.map((p) => p.name));
  for (const [i, pool] of expected.pools.entries()) {
    const lane = shown.lanes[i];
    assert.match(lane.title, new RegExp(`^${pool.name} · weight ${pool.weight ?? 0} · on-demand`));
    const types = pool.nodes.flatMap((g) => Array(g.count).fill(`${g.instance_type}/${g.capacity_type}`));
    assert.deepEqual(lane.nodes.map((n) => n.type).sort(), types.sort());
    assert.equal(lane.pods.length, pool.nodes.reduce((s, g) => s + g.pods, 0));
    assert.ok(lane.nodes.every((n) => n.state === 'running'));
  }
  assert.equal(count(shown.lanes.flatMap((l) => l.pods), (p) => p.deployment === 'llama3-8b'), expected.deployments[0].replicas);
  // Quickstart nodes have one L40S each: one slot, held by the pod.
  assert.ok(shown.lanes[0].nodes.every((n) => n.pods + n.slots === 1));

  // An edit: spot allowed in the pool, Karpenter prefers it; the view follows.
  await board.card('gpu-on-demand').getByLabel('spot').check();
  await page.waitForFunction(() => document.querySelector('[data-testid=topology-node]')?.dataset.capacityType === 'spot');
  const edited = await topology(page);
  assert.ok(edited.lanes[0].nodes.every((n) => n.type.endsWith('/spot')), JSON.stringify(edited.lanes[0].nodes));
  assert.equal(edited.lanes[0].nodes.length, shown.lanes[0].nodes.length);
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => document.querySelector('[data-testid=topology-node]')?.dataset.capacityType === 'on-demand');
  await clean(session);
});

test('the day scrubber at a busy hour shows the nodes and ready and pending pods of `tokenfleet simulate`', async () => {
  const session = await fresh();
  const { page } = session;
  // The charts' run: 2 s steps, a sample every 5 minutes, the diurnal-spikes profile, seed 1.
  const day = JSON.parse(tokenfleet('simulate', 'examples/quickstart.yaml', '--step', '2s', '--series-step', '300s', '--format', 'json'));
  const s = day.series;
  await page.getByTestId('sim-summary').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=day-scrubber]').disabled);
  // The busiest sample: most nodes, then most pending replicas.
  let busy = 0;
  for (let i = 1; i < s.t_s.length; i++) {
    if (s.nodes[i] > s.nodes[busy]) busy = i;
  }
  const minute = Math.round(s.t_s[busy] / 60);
  const scrubber = page.getByTestId('day-scrubber');
  assert.equal(await scrubber.getAttribute('type'), 'range');
  assert.ok(await page.locator('label[for=day-scrubber]').count(), 'the scrubber is labelled');
  await scrubber.evaluate((e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', { bubbles: true })); }, minute);
  await page.waitForFunction((i) => document.querySelector('[data-testid=topology-view]').dataset.sample === String(i), busy);
  const hh = String(Math.floor(s.t_s[busy] / 3600)).padStart(2, '0');
  const mm = String(Math.round(s.t_s[busy] / 60) % 60).padStart(2, '0');
  assert.equal(await page.getByTestId('day-time').textContent(), `${hh}:${mm}`);
  const shown = await topology(page);
  for (const lane of shown.lanes) {
    const pool = s.pools[lane.pool];
    const live = lane.nodes.filter((n) => n.state !== 'draining');
    assert.equal(live.length, pool.nodes[busy], `${lane.pool}: nodes at ${hh}:${mm}`);
    for (const [key, counts] of Object.entries(pool.nodes_by_type)) {
      assert.equal(count(live, (n) => n.type === key), counts[busy], `${lane.pool} ${key}`);
      const before = counts[busy - 1];
      assert.equal(count(lane.nodes, (n) => n.type === key && n.state === 'launching') >= Math.max(0, counts[busy] - before), true);
      assert.equal(count(lane.nodes, (n) => n.type === key && n.state === 'draining'), Math.max(0, before - counts[busy]));
    }
  }
  const pods = shown.lanes.flatMap((l) => l.pods);
  const d = s.deployments['llama3-8b'];
  assert.equal(count(pods, (p) => p.state === 'ready'), d.replicas_ready[busy]);
  assert.equal(count(pods, (p) => p.state === 'pending'), d.replicas_pending[busy]);
  // Another time, then back to the static plan.
  const quiet = s.nodes.indexOf(Math.min(...s.nodes));
  await scrubber.evaluate((e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', { bubbles: true })); }, Math.round(s.t_s[quiet] / 60));
  await page.waitForFunction((i) => document.querySelector('[data-testid=topology-view]').dataset.sample === String(i), quiet);
  const quietShown = await topology(page);
  assert.equal(quietShown.lanes[0].nodes.filter((n) => n.state !== 'draining').length, s.pools['gpu-on-demand'].nodes[quiet]);
  await page.getByTestId('topology-static').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=topology-view]').dataset.sample === undefined);
  assert.equal(await page.getByTestId('day-time').textContent(), 'Static plan (peak)');
  await clean(session);
});

test('dragging a deployment onto a lane pins it there, Ctrl+Z undoes it; the keyboard pins with a select', async () => {
  const session = await fresh();
  const { page, board } = session;
  await board.importYaml(SPOT_POOL);
  await page.locator('[data-testid=topology-lane][data-pool=gpu-spot]').waitFor();
  const lanes = async () => (await topology(page)).lanes.map((l) => [l.pool, l.pods.length]);
  assert.deepEqual(await lanes(), [['gpu-on-demand', 2], ['gpu-spot', 0]]);
  // Pick a pod up with the pointer, drop it on the spot lane.
  const view = page.getByTestId('topology-view');
  await view.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  const pod = await view.locator('[data-testid=topology-node] [data-testid=topology-pod]').first().boundingBox();
  await page.mouse.move(pod.x + pod.width / 2, pod.y + pod.height / 2);
  await page.mouse.down();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const target = await page.locator('[data-testid=topology-lane][data-pool=gpu-spot]').boundingBox();
  await page.mouse.move(target.x + target.width / 2, target.y + 10, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll('[data-pool=gpu-spot] [data-testid=topology-pod]').length === 2);
  assert.deepEqual(await lanes(), [['gpu-on-demand', 0], ['gpu-spot', 2]]);
  assert.match(await board.exportYaml(), /karpenter\.sh\/nodepool: gpu-spot/);
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => document.querySelectorAll('[data-pool=gpu-spot] [data-testid=topology-pod]').length === 0);
  assert.deepEqual(await lanes(), [['gpu-on-demand', 2], ['gpu-spot', 0]]);
  // The keyboard: the legend's select pins, as one undoable action.
  const select = page.locator('[data-testid=topology-fleet][data-deployment=llama3-8b] [data-testid=topology-pin]');
  await select.focus();
  await select.selectOption('gpu-spot');
  await page.waitForFunction(() => document.querySelectorAll('[data-pool=gpu-spot] [data-testid=topology-pod]').length === 2);
  await page.getByTestId('undo').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-pool=gpu-spot] [data-testid=topology-pod]').length === 0);
  await clean(session);
});

test('edit to rendered DOM with the topology view on the page (printed)', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(SPOT_POOL);
  const wall = [];
  const app = [];
  for (let i = 0; i < 20; i++) {
    const handle = board.card((await board.poolNames())[1]).getByTestId('pool-drag-handle');
    await handle.focus();
    const t = await page.evaluate(async () => {
      await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
      const t0 = performance.now();
      document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
      await new Promise((ok) => setTimeout(ok, 0));
      return performance.now() - t0;
    });
    wall.push(t);
    app.push(Number(await page.getByTestId('recompute-ms').getAttribute('data-value')));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`# ${process.env.TOPOLOGY_DIST ?? 'dist'}: re-plan + lint + export median ${median(app).toFixed(2)} ms; ` +
    `edit to rendered DOM median ${median(wall).toFixed(2)} ms, max ${Math.max(...wall).toFixed(2)} ms`);
  await clean(session);
});

test('screenshots at 1280x800 and 1440x900, light and dark', async () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 1440, height: 900 }]) {
    for (const colorScheme of ['light', 'dark']) {
      const session = await fresh(viewport, { colorScheme });
      const { page, board } = session;
      await board.importYaml(SPOT_POOL);
      await page.getByTestId('sim-summary').waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid=day-scrubber]').disabled);
      const view = page.getByTestId('topology-view');
      await view.evaluate((e) => e.scrollIntoView({ block: 'start' }));
      const name = `topology-${viewport.width}x${viewport.height}-${colorScheme}`;
      await page.getByTestId('results-panel').screenshot({ path: join(ARTIFACTS, `${name}-static.png`) });
      // 18:00, when the diurnal day is busy.
      await page.getByTestId('day-scrubber').evaluate((e) => { e.value = '1080'; e.dispatchEvent(new Event('input', { bubbles: true })); });
      await page.waitForFunction(() => document.querySelector('[data-testid=topology-view]').dataset.sample !== undefined);
      await page.getByTestId('results-panel').screenshot({ path: join(ARTIFACTS, `${name}-day.png`) });
      await clean(session);
    }
  }
});
