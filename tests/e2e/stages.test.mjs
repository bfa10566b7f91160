// Prefill and decode stages of a disaggregated deployment, edited one by one in the browser: replica
// bounds with messages at the field, pinning a stage by dragging its handle onto a pool card with real
// pointer events (Escape cancels) or with the keyboard, each edit one undoable action, and screenshots
// of the card in both themes and on a narrow screen (tests/e2e/artifacts/stages-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveStatic, launchBrowser, tokenfleet, openPlanner, closeClean as clean, ARTIFACTS } from './support.mjs';

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

const DEPLOYMENT = 'rag-70b';
const path = (field) => `spec.deployments[0].${field}`;

/** One exported document by kind and metadata name. */
function exportedDoc(yaml, kind, name) {
  const doc = yaml.split(/^---$/m).find((d) => new RegExp(`^kind: ${kind}$`, 'm').test(d) && new RegExp(`^  name: ${name}$`, 'm').test(d));
  assert.ok(doc, `no ${kind} ${name} in the export`);
  return doc;
}

const maxReplicas = (yaml, stage) => Number(exportedDoc(yaml, 'ScaledObject', `${DEPLOYMENT}-${stage}`).match(/^  maxReplicaCount: (\d+)$/m)?.[1]);
const nodePool = (yaml, stage) => exportedDoc(yaml, 'Deployment', `${DEPLOYMENT}-${stage}`).match(/karpenter\.sh\/nodepool: (\S+)/)?.[1];

/** The planner on the disaggregated template, in a viewport tall enough for a stage and the board. */
async function disaggregated(viewport = { width: 1280, height: 1000 }) {
  const session = await openPlanner(browser, server, viewport);
  await session.page.getByTestId('template').selectOption('disaggregated');
  assert.equal(await session.board.planName(), 'disaggregated');
  return session;
}


test('each stage is sized and pinned apart: the export follows, undo reverts one edit per step', async () => {
  const session = await disaggregated();
  const { board, page } = session;
  const template = await board.exportYaml();
  assert.equal(template, tokenfleet('export', 'examples/disaggregated.yaml'));
  const stages = board.deploymentCard(DEPLOYMENT).getByTestId('stage-card');
  assert.deepEqual(await stages.evaluateAll((s) => s.map((e) => e.dataset.stage)), ['prefill', 'decode']);
  const decode = board.stageCard(DEPLOYMENT, 'decode');
  assert.equal(await decode.getByTestId('stage-replicas-max').inputValue(), '6');
  assert.equal(await decode.getByTestId('stage-replicas-max').getAttribute('id'), `f-${path('decode.replicas.max')}`);
  assert.equal(await board.stageCard(DEPLOYMENT, 'prefill').getByTestId('stage-pool').inputValue(), 'prefill-h100');
  // The deployment-level replica bounds do not run while disaggregated, so they are not shown.
  assert.equal(await board.deploymentCard(DEPLOYMENT).getByTestId('deployment-replicas-max').count(), 0);

  // 1. Decode max replicas 6 → 5: only the decode autoscaler changes.
  await board.setField(path('decode.replicas.max'), 5);
  let yaml = await board.exportYaml();
  assert.equal(maxReplicas(yaml, 'decode'), 5);
  assert.equal(maxReplicas(yaml, 'prefill'), 4);
  assert.equal(await board.fieldError(path('decode.replicas.max')).textContent(), '');
  assert.match(await page.getByTestId('undo').getAttribute('title'), /Set decode maximum replicas/);

  // Bad values get a message at their field and leave the plan alone.
  await board.setField(path('decode.replicas.min'), 9);
  assert.equal(await board.fieldError(path('decode.replicas.min')).textContent(), 'decode replicas: min 9 is above max 5 (raise max first)');
  await board.setField(path('prefill.replicas.max'), 'three');
  assert.match(await board.fieldError(path('prefill.replicas.max')).textContent(), /"three" is not a whole number/);
  assert.equal(await board.exportYaml(), yaml, 'refused edits change nothing');

  // 2. Pin prefill to the decode pool by dragging its handle: a preview while held, one action on release.
  await board.dragStage(DEPLOYMENT, 'prefill', 'decode-l40s', { finish: false });
  assert.match(await board.card('decode-l40s').getAttribute('class'), /tf-drop-target/);
  assert.match(await page.getByTestId('board-panel').locator('.tf-hint').textContent(), /prefill stage of rag-70b/);
  assert.equal(await board.exportYaml(), yaml, 'a drag in progress does not touch the plan');
  await page.mouse.up();
  yaml = await board.exportYaml();
  assert.equal(nodePool(yaml, 'prefill'), 'decode-l40s');
  assert.equal(nodePool(yaml, 'decode'), 'decode-l40s');
  assert.equal(await board.stageCard(DEPLOYMENT, 'prefill').getByTestId('stage-pool').inputValue(), 'decode-l40s');
  assert.match(await page.getByTestId('undo').getAttribute('title'), /Pin rag-70b prefill to decode-l40s/);

  // On the 4-GPU g6e.12xlarge pool, eight GPUs per prefill replica are refused at the field.
  await board.setField(path('prefill.tensorParallel'), 8);
  assert.match(await board.fieldError(path('prefill.tensorParallel')).textContent(), /needs 8 GPUs.*NodePool decode-l40s/);
  assert.equal(await board.exportYaml(), yaml);

  // Undo reverts each edit in one step: first the pin, then the replica bound, then the template.
  await board.undo();
  yaml = await board.exportYaml();
  assert.equal(nodePool(yaml, 'prefill'), 'prefill-h100');
  assert.equal(maxReplicas(yaml, 'decode'), 5);
  await board.undo();
  assert.equal(await board.exportYaml(), template);
  await board.undo();
  assert.equal(await board.planName(), 'quickstart');
  await clean(session);
});

test('Escape cancels a stage drag; the keyboard picks a stage up and drops it on a pool', async () => {
  const session = await disaggregated();
  const { board, page } = session;
  const template = await board.exportYaml();
  await board.dragStage(DEPLOYMENT, 'prefill', 'decode-l40s', { finish: false });
  assert.match(await board.stageCard(DEPLOYMENT, 'prefill').getAttribute('class'), /tf-dragging/);
  await page.keyboard.press('Escape');
  await page.mouse.up();
  assert.doesNotMatch(await board.card('decode-l40s').getAttribute('class'), /tf-drop-target/);
  assert.equal(await board.exportYaml(), template);
  assert.match(await page.getByTestId('undo').getAttribute('title'), /Open template disaggregated/, 'nothing was recorded');

  // Keyboard: Enter on the decode handle, then the pool card's drop button.
  await board.stageCard(DEPLOYMENT, 'decode').getByTestId('stage-drag-handle').focus();
  await page.keyboard.press('Enter');
  const drop = board.card('prefill-h100').getByTestId('drop-here');
  assert.equal(await drop.textContent(), 'Pin rag-70b decode here');
  await drop.click();
  assert.equal(nodePool(await board.exportYaml(), 'decode'), 'prefill-h100');
  assert.equal(nodePool(await board.exportYaml(), 'prefill'), 'prefill-h100');
  assert.equal(await page.getByTestId('drop-here').count(), 0);
  // ... and the select unpins it again ("any (by weight)").
  await board.stageCard(DEPLOYMENT, 'decode').getByTestId('stage-pool').selectOption('');
  assert.equal(nodePool(await board.exportYaml(), 'decode'), undefined);
  await board.undo();
  await board.undo();
  assert.equal(await board.exportYaml(), template);
  await clean(session);
});

test('a lint finding about a stage focuses that stage\'s field', async () => {
  const session = await disaggregated();
  const { board, page } = session;
  // Fix the decode stage at 3 replicas under traffic that swings 2 → 5 requests/s: TF002 on decode.
  await board.setField(path('decode.replicas.min'), 3);
  await board.setField(path('decode.replicas.max'), 3);
  const finding = page.getByTestId('lint-panel').locator('[data-testid=lint-finding][data-code=TF002]');
  assert.match(await finding.textContent(), /rag-70b-decode runs a fixed 3 replicas/);
  await finding.locator('button').click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), `f-${path('decode')}`);
  // A finding on a stage's replicas.max lands on the input itself.
  await board.setField(path('decode.replicas.max'), 4);
  await board.setField(path('prefill.replicas.min'), 1);
  await board.setField(path('prefill.replicas.max'), 1);
  const tf022 = page.getByTestId('lint-panel').locator('[data-testid=lint-finding][data-code=TF022]').first();
  assert.match(await tf022.textContent(), /spec\.deployments\[0\]\.prefill\.replicas\.max/);
  await tf022.locator('button').click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), `f-${path('prefill.replicas.max')}`);
  await clean(session);
});

test('switching serving mode shows and hides the stages; screenshots of the card in both themes and narrow', async () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 1000 }], ['narrow', { width: 390, height: 844 }]]) {
    const session = await disaggregated(viewport);
    const { board, page } = session;
    const card = board.deploymentCard(DEPLOYMENT);
    // An empty stage devices field inherits the deployment's, and says so.
    const before = await board.exportYaml();
    await board.setField(path('prefill.tensorParallel'), '');
    const tp = board.stageCard(DEPLOYMENT, 'prefill').getByTestId('stage-tensor-parallel');
    assert.equal(await tp.inputValue(), '');
    assert.equal(await tp.getAttribute('placeholder'), '4 (inherited)');
    assert.equal(await board.exportYaml(), before, 'the deployment also runs 4 devices per replica');
    assert.match(await page.getByTestId('undo').getAttribute('title'), /Set prefill tensor parallelism/);
    await card.screenshot({ path: join(ARTIFACTS, `stages-card-${label}-light.png`) });
    await page.getByRole('button', { name: /Dark|Light/ }).click();
    await card.screenshot({ path: join(ARTIFACTS, `stages-card-${label}-dark.png`) });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${label}: page scrolls sideways by ${overflow}px`);
    await card.getByTestId('deployment-mode').selectOption('monolithic');
    assert.equal(await card.getByTestId('stage-card').count(), 0);
    assert.equal(await card.getByTestId('deployment-replicas-max').inputValue(), '4');
    await card.getByTestId('deployment-mode').selectOption('disaggregated');
    assert.equal(await card.getByTestId('stage-card').count(), 2);
    await clean(session);
  }
});
