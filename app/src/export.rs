//! The export panel: every manifest, syntax-highlighted; copy, download the whole stream, each
//! resource, or the plan itself. The highlighted YAML is written as HTML text (`html`).

use leptos::prelude::*;

use crate::dom::{self, handler};
use crate::html::Html;
use crate::store::Store;

/// The export as highlighted spans, one line at a time; the text content is exactly the export.
fn highlight(text: &str) -> String {
    let mut h = Html::default();
    for line in text.split_inclusive('\n') {
        highlight_line(&mut h, line);
    }
    h.finish()
}

/// One YAML line: a comment, or its indent, key and value in their spans, then its line end.
fn highlight_line(h: &mut Html, line: &str) {
    let body = line.trim_end_matches('\n');
    let newline = if line.ends_with('\n') { "\n" } else { "" };
    let trimmed = body.trim_start();
    if trimmed.starts_with('#') || body == "---" {
        h.raw("<span class=\"tf-y-comment\">").text(body).raw("</span>").raw(newline);
        return;
    }
    let indent_len = body.len() - trimmed.len();
    let dash = if trimmed.starts_with("- ") { 2 } else { 0 };
    let rest = &trimmed[dash..];
    h.text(&body[..indent_len + dash]);
    if let Some(colon) = rest.find(": ").or_else(|| rest.ends_with(':').then(|| rest.len() - 1)) {
        if !rest.starts_with(['"', '\'', '{', '[']) {
            let key_end = indent_len + dash + colon;
            h.raw("<span class=\"tf-y-key\">").text(&body[indent_len + dash..key_end]);
            h.raw("</span>:<span class=\"tf-y-value\">").text(&body[key_end + 1..]).raw("</span>").raw(newline);
            return;
        }
    }
    h.raw("<span class=\"tf-y-value\">").text(rest).raw("</span>").raw(newline);
}

#[component]
pub fn ExportPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let export = Memo::new(move |_| store.derived.with(|d| d.export.clone()));
    let plan_name = move || store.plan.with(|p| p.metadata.name.clone());
    view! {
        <section class="tf-panel" aria-labelledby="export-title" data-testid="export-panel">
            <h2 id="export-title">"Manifests"</h2>
            <div class="tf-actions">
                <button on:click=handler(move |_| dom::copy(&export.get_untracked())) data-testid="export-copy">"Copy all"</button>
                <button data-testid="export-download" on:click=handler(move |_| {
                    dom::download(&format!("{}.yaml", plan_name()), &export.get_untracked(), "application/yaml")
                })>"Download manifests (one file)"</button>
                <button data-testid="export-download-each" on:click=handler(move |_| {
                    store.derived.with_untracked(|d| for doc in &d.documents {
                        dom::download(&doc.file_name(), &doc.yaml, "application/yaml");
                    })
                })>"Download each resource"</button>
                <button data-testid="plan-download" on:click=handler(move |_| {
                    let yaml = store.plan.with_untracked(|p| p.to_yaml());
                    dom::download(&format!("{}.plan.yaml", plan_name()), &yaml, "application/yaml")
                })>"Download plan"</button>
            </div>
            <details class="tf-docs">
                <summary>{move || store.derived.with(|d| format!("{} resources", d.documents.len()))}</summary>
                <ul>
                    {move || store.derived.with(|d| d.documents.iter().map(|doc| {
                        let (name, yaml) = (doc.file_name(), doc.yaml.clone());
                        view! { <li><button class="tf-link" on:click=handler(move |_| dom::download(&name, &yaml, "application/yaml"))>
                            {format!("{} {}", doc.kind, doc.name)}</button></li> }
                    }).collect_view())}
                </ul>
            </details>
            <pre class="tf-yaml" data-testid="export-yaml" tabindex="0" aria-label="Exported Kubernetes manifests"
                inner_html=move || export.with(|text| highlight(text))></pre>
        </section>
    }
}
