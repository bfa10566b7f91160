// Tokenfleet as an embeddable widget (ES module, dist/widget/tokenfleet-widget.js).
//
//   import { mount } from './tokenfleet-widget.js';
//   const planner = mount(element, { plan, onChange(plan) {}, readOnly: false, compact: false });
//   await planner.ready;            // the wasm is loaded once per page, shared by every widget
//   planner.getPlan();              // the plan as an object (getPlanYaml() for YAML text)
//   planner.setPlan(planOrYaml);    // one undoable action; onChange is not called for it
//   planner.destroy();              // removes the widget's nodes and listeners
//
// or, without script: <tokenfleet-planner plan="…yaml…"></tokenfleet-planner>, or with the plan in
// a child <script type="application/yaml">; attributes read-only and compact; a `change` event
// (detail.plan) after each edit; setting the `plan` attribute later replaces the plan.
//
// Each widget renders in its own shadow root with the app's stylesheet scoped to it, on a wrapper
// that resets inherited properties, so the page's styles do not reach in and the widget's do not
// leak out. Everything is loaded relative to this file (the app's wasm, JS and CSS one folder up);
// served from another origin than the page, that origin must send Access-Control-Allow-Origin.
// The build (scripts/build-widget, a Trunk post_build hook) fills in the hashed file names below.

const APP_JS = new URL('../__TOKENFLEET_JS__', import.meta.url);
const APP_WASM = new URL('../__TOKENFLEET_WASM__', import.meta.url);
const APP_CSS = new URL('../__TOKENFLEET_CSS__', import.meta.url);

// Resets what a host page's styles could pass on by inheritance, before the app's own rules.
const BASE_CSS = `
:host { display: block; }
.tf-widget { all: initial; display: block; contain: content; }
.tf-widget fieldset.tf-widget-editor { border: 0; margin: 0; padding: 0; min-width: 0; }
.tf-widget fieldset.tf-widget-editor[disabled] { opacity: 0.85; }
`;

/** The app's stylesheet, with its page-level selectors (:root, body) moved onto the widget root. */
function scopeCss(text) {
  return text.replace(/:root/g, '.tf-widget').replace(/(^|[\s}])body(?=\s*[{,])/g, '$1.tf-widget');
}

let loaded = null;
/** Loads the app's wasm (without mounting the hosted app) and the scoped stylesheet, once. */
function load() {
  loaded ??= (async () => {
    globalThis.__tokenfleetEmbedded = true;
    const [bindings, cssText] = await Promise.all([
      import(APP_JS.href),
      fetch(APP_CSS).then((r) => {
        if (!r.ok) throw new Error(`tokenfleet widget: could not load ${APP_CSS} (${r.status})`);
        return r.text();
      }),
    ]);
    await bindings.default({ module_or_path: APP_WASM });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(BASE_CSS + scopeCss(cssText));
    return { bindings, sheet };
  })();
  return loaded;
}

/** A plan given by the page: an object (sent as JSON, which is YAML), YAML text, or nothing. */
function planText(plan) {
  if (plan === undefined || plan === null || plan === '') return undefined;
  if (typeof plan === 'string') return plan;
  return JSON.stringify(plan);
}

/** Mounts into `shadow`; `cleanup` removes what the caller created around it. */
function mountInto(shadow, options, cleanup) {
  const root = document.createElement('div');
  root.className = 'tf-widget';
  shadow.append(root);
  let widget = null;
  let destroyed = false;
  const handle = {
    ready: null,
    getPlan() { return widget ? JSON.parse(widget.planJson()) : null; },
    getPlanYaml() { return widget ? widget.planYaml() : null; },
    setPlan(plan) {
      if (!widget) throw new Error('tokenfleet widget: not ready yet (await handle.ready) or destroyed');
      widget.setPlan(planText(plan));
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      if (widget) {
        widget.destroy();
        widget.free();
        widget = null;
      }
      shadow.adoptedStyleSheets = [];
      root.remove();
      cleanup();
    },
  };
  handle.ready = load().then(({ bindings, sheet }) => {
    if (destroyed) return handle;
    shadow.adoptedStyleSheets = [sheet];
    const o = new bindings.WidgetOptions();
    o.plan = planText(options.plan);
    o.readOnly = Boolean(options.readOnly);
    o.compact = Boolean(options.compact);
    if (typeof options.onChange === 'function') {
      const onChange = options.onChange;
      o.onChange = (json) => onChange(JSON.parse(json));
    }
    try {
      widget = bindings.mountWidget(root, o);
    } catch (error) {
      handle.destroy();
      throw error;
    }
    return handle;
  });
  return handle;
}

/**
 * Mounts a planner into `element` (appended as a child of its own, with a shadow root) and returns
 * its handle. Options: plan (object or YAML text), onChange(plan), readOnly, compact.
 */
export function mount(element, options = {}) {
  if (!(element instanceof Element)) throw new TypeError('tokenfleet widget: mount(element, options) needs an element');
  const host = document.createElement('tokenfleet-widget-host');
  host.style.display = 'block';
  element.append(host);
  return mountInto(host.attachShadow({ mode: 'open' }), options, () => host.remove());
}

/** <tokenfleet-planner>: the plan from its `plan` attribute or a child script type="application/yaml". */
export class TokenfleetPlanner extends HTMLElement {
  static observedAttributes = ['plan'];
  #handle = null;

  /** A new `plan` attribute replaces the mounted planner's plan. */
  attributeChangedCallback(name, previous, value) {
    if (name !== 'plan' || !this.#handle || previous === value || !value) return;
    this.#handle.ready.then((handle) => handle.setPlan(value)).catch((error) => {
      this.dispatchEvent(new CustomEvent('error', { detail: { error } }));
    });
  }

  connectedCallback() {
    if (this.#handle) return;
    const script = this.querySelector(':scope > script[type="application/yaml"]');
    const plan = this.getAttribute('plan') ?? script?.textContent ?? undefined;
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    this.#handle = mountInto(shadow, {
      plan,
      readOnly: this.hasAttribute('read-only'),
      compact: this.hasAttribute('compact'),
      onChange: (next) => this.dispatchEvent(new CustomEvent('change', { detail: { plan: next } })),
    }, () => {});
    this.#handle.ready.then(() => this.dispatchEvent(new CustomEvent('ready')), (error) => {
      this.dispatchEvent(new CustomEvent('error', { detail: { error } }));
    });
  }

  disconnectedCallback() {
    this.#handle?.destroy();
    this.#handle = null;
  }

  /** Resolves once the planner is mounted. */
  get ready() { return this.#handle?.ready ?? Promise.resolve(null); }
  get plan() { return this.#handle?.getPlan() ?? null; }
  set plan(plan) { this.#handle?.setPlan(plan); }
  getPlanYaml() { return this.#handle?.getPlanYaml() ?? null; }
}

if (!customElements.get('tokenfleet-planner')) customElements.define('tokenfleet-planner', TokenfleetPlanner);
