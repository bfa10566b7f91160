// Page object for the planner screen: how tests find things, in one place.
export class PlannerPage {
  constructor(page) {
    this.page = page;
  }

  async open(url) {
    await this.page.goto(url);
    await this.page.getByTestId('total-cost-usd-per-hour').waitFor({ timeout: 30_000 });
  }

  /** The raw number behind a headline figure (its `data-value`). */
  async figure(testId) {
    return Number(await this.page.getByTestId(testId).getAttribute('data-value'));
  }

  /** The text of the whole multi-document export. */
  async exportYaml() {
    return this.page.getByTestId('export-yaml').textContent();
  }

  async planName() {
    return this.page.getByTestId('plan-name').textContent();
  }
}
