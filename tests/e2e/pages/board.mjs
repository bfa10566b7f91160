// Page object for the planner's editing surface: NodePool board, fields, import, undo/redo, share link.
import { PlannerPage } from './planner.mjs';

export class BoardPage extends PlannerPage {
  /** Pool names in the order the board shows them (priority order). */
  async poolNames() {
    return this.page.getByTestId('pool-card').evaluateAll((cards) => cards.map((c) => c.dataset.poolName));
  }

  card(name) {
    return this.page.locator(`[data-testid=pool-card][data-pool-name="${name}"]`);
  }

  async weight(name) {
    return Number(await this.card(name).getByTestId('pool-weight').textContent());
  }

  /** Scrolls so both cards are on screen (pointer events only reach what is in the viewport). */
  async showBoard() {
    await this.page.getByTestId('board-panel').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  }

  /** Drags a pool's handle onto another pool's card with real pointer events; `finish` false leaves it held. */
  async dragPool(name, ontoName, { finish = true, steps = 8 } = {}) {
    await this.showBoard();
    const handle = await this.card(name).getByTestId('pool-drag-handle').boundingBox();
    const target = await this.card(ontoName).boundingBox();
    await this.page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await this.page.mouse.down();
    const above = target.y + target.height * 0.25;
    await this.page.mouse.move(handle.x + handle.width / 2, above, { steps });
    if (finish) await this.page.mouse.up();
  }

  /**
   * With a drag held, moves the pointer onto a pool card. The card is measured once the drag has
   * started and the page has drawn it: the drag's hint line above the board shifts the cards, so a
   * box measured before the press can point above the card.
   */
  async moveOntoCard(ontoName) {
    await this.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const target = await this.card(ontoName).boundingBox();
    await this.page.mouse.move(target.x + target.width / 2, target.y + 20, { steps: 8 });
  }

  /** Drags an instance family chip onto another pool's card. */
  async dragFamily(family, fromName, ontoName) {
    await this.showBoard();
    const chip = await this.card(fromName).locator(`[data-family="${family}"]`).boundingBox();
    await this.page.mouse.move(chip.x + chip.width / 2, chip.y + chip.height / 2);
    await this.page.mouse.down();
    await this.moveOntoCard(ontoName);
    await this.page.mouse.up();
  }

  /** Drags a deployment card's handle onto a pool card. */
  async dragDeployment(name, ontoName) {
    // The deployment card sits above the board: scroll so the handle and the target are both visible.
    await this.page.locator(`[data-testid=deployment-card][data-deployment-name="${name}"]`).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    const handle = await this.page.locator(`[data-testid=deployment-card][data-deployment-name="${name}"] [data-testid=deployment-drag-handle]`).boundingBox();
    await this.page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await this.page.mouse.down();
    await this.moveOntoCard(ontoName);
    await this.page.mouse.up();
  }

  deploymentCard(name) {
    return this.page.locator(`[data-testid=deployment-card][data-deployment-name="${name}"]`);
  }

  /** The prefill or decode section of a disaggregated deployment's card. */
  stageCard(deployment, stage) {
    return this.deploymentCard(deployment).locator(`[data-testid=stage-card][data-stage="${stage}"]`);
  }

  /**
   * Drags a stage's handle onto a pool card with real pointer events; `finish` false leaves it held.
   * The stage is scrolled to the top so the board below it is on screen too.
   */
  async dragStage(deployment, stage, ontoName, { finish = true } = {}) {
    await this.stageCard(deployment, stage).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    const handle = await this.stageCard(deployment, stage).getByTestId('stage-drag-handle').boundingBox();
    const target = await this.card(ontoName).boundingBox();
    const viewport = this.page.viewportSize();
    if (target.y + 20 > viewport.height) throw new Error(`pool card ${ontoName} is below the viewport (${target.y}px)`);
    await this.page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await this.page.mouse.down();
    await this.moveOntoCard(ontoName);
    if (finish) await this.page.mouse.up();
  }

  /** Types a value into a field (by its plan path) and commits it like a person (change event). */
  async setField(path, value) {
    const input = this.page.locator(`[id="f-${path}"]`);
    await input.fill(String(value));
    await input.press('Enter');
    await input.evaluate((e) => e.blur());
  }

  fieldError(path) {
    return this.page.locator(`[id="f-${path}-error"]`);
  }

  async importYaml(text, mode = 'auto') {
    await this.page.getByTestId('import-yaml').fill(text);
    await this.page.getByTestId('import-mode').selectOption(mode);
    await this.page.getByTestId('import-apply').click();
  }

  async findingCodes(scope = this.page) {
    return scope.getByTestId('lint-finding').evaluateAll((items) => items.map((i) => i.dataset.code));
  }

  async shareLink() {
    return this.page.getByTestId('share-link').getAttribute('href');
  }

  async undo() {
    await this.page.getByTestId('undo').click();
  }

  async redo() {
    await this.page.getByTestId('redo').click();
  }
}
