// Starts the web app. Trunk's default loader is an inline <script>, which a strict
// Content-Security-Policy would have to allow by hash; this file is loaded by the pattern_script in
// Trunk.toml instead, so the policy is just script-src 'self' 'wasm-unsafe-eval'. Paths are relative
// to this file, so dist/ works from any sub-path.

// The crash overlay's buttons (lib.rs show_crash): plain JS, since the wasm can no longer run then.
addEventListener('click', (event) => {
  const button = event.target instanceof Element && event.target.closest('[data-crash-action]');
  if (!button) return;
  if (button.dataset.crashAction === 'discard') localStorage.removeItem(button.dataset.autosaveKey);
  location.reload();
});

const tag = document.querySelector('script[data-tokenfleet-js][data-tokenfleet-wasm]');
const here = new URL('./', import.meta.url);
const bindings = await import(new URL(tag.dataset.tokenfleetJs, here).href);
const wasm = await bindings.default({ module_or_path: new URL(tag.dataset.tokenfleetWasm, here) });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm } }));
