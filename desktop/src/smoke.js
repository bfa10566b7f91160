// The scripted session of `tokenfleet-desktop --smoke DIR`, evaluated in the planner page: it opens a
// plan through the native-dialog bridge (the shell answers with DIR/open-plan.yaml), edits the peak
// rate in the page as a person would, saves the plan and the manifests, and reports to the shell.
(async () => {
  if (window.__tokenfleetSmoke) return;
  window.__tokenfleetSmoke = true;
  const report = { ok: false, steps: [], errors: [] };
  // Errors and CSP violations from here on (the page's policy must not break the shell's IPC).
  addEventListener('error', (e) => report.errors.push(`error: ${e.message}`));
  addEventListener('unhandledrejection', (e) => report.errors.push(`unhandled rejection: ${e.reason}`));
  document.addEventListener('securitypolicyviolation', (e) => report.errors.push(`CSP ${e.violatedDirective}: ${e.blockedURI}`));
  const consoleError = console.error;
  console.error = (...args) => { report.errors.push(`console.error: ${args.join(' ')}`); consoleError(...args); };
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const text = (selector) => (document.querySelector(selector)?.textContent ?? '').trim();
  const waitFor = async (what, check, ms = 30000) => {
    const start = Date.now();
    for (;;) {
      let value;
      try { value = check(); } catch { value = undefined; }
      if (value) { report.steps.push(`${what} (${Date.now() - start} ms)`); return value; }
      if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleep(100);
    }
  };
  const click = (testid) => {
    const button = document.querySelector(`[data-testid="${testid}"]`);
    if (!button) throw new Error(`no [data-testid="${testid}"] in the page`);
    button.click();
  };
  try {
    report.tauri = typeof window.__TAURI__?.core?.invoke === 'function';
    await waitFor('the planner', () => text('[data-testid="plan-name"]'));
    report.title = document.title;
    report.initialPlan = text('[data-testid="plan-name"]');
    await waitFor('the desktop file buttons', () => document.querySelector('[data-testid="desktop-open-plan"]'));
    click('desktop-open-plan');
    report.openedPlan = await waitFor('the opened plan',
      () => { const name = text('[data-testid="plan-name"]'); return name !== report.initialPlan && name; });
    const peak = await waitFor('the peak rate field',
      () => document.getElementById('f-spec.workload.requestsPerSecond.peak'));
    peak.focus();
    peak.value = '123';
    peak.dispatchEvent(new Event('input', { bubbles: true }));
    peak.dispatchEvent(new Event('change', { bubbles: true }));
    peak.blur();
    await waitFor('the edit to land', () => document.getElementById('f-spec.workload.requestsPerSecond.peak').value === '123');
    click('desktop-save-plan');
    await waitFor('the plan to be saved', () => /saved the plan/i.test(text('[data-testid="notice"]')));
    click('desktop-save-manifests');
    await waitFor('the manifests to be saved', () => /saved the manifests/i.test(text('[data-testid="notice"]')));
    report.notice = text('[data-testid="notice"]');
    // Manifests open as a plan too (the shell answers with DIR/open-manifest.yaml).
    const saved = text('[data-testid="plan-name"]');
    click('desktop-open-manifests');
    await waitFor('the manifests to be opened', () => /opened the manifests/i.test(text('[data-testid="notice"]')));
    report.fromManifests = { notice: text('[data-testid="notice"]'), pools: [...document.querySelectorAll('[data-testid="pool-card"]')].map((c) => c.dataset.poolName) };
    report.ok = saved === report.openedPlan;
  } catch (error) {
    report.error = String(error?.stack ?? error);
  }
  report.finalPlan = text('[data-testid="plan-name"]');
  try {
    await window.__TAURI__.core.invoke('smoke_report', { report });
  } catch (error) {
    console.error('smoke: could not report', error);
  }
})();
