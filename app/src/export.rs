//! The export panel: every manifest, syntax-highlighted; copy, download the whole stream, each
//! resource, or the plan itself. The highlighted YAML is written as HTML text (`html`).

use leptos::prelude::*;
use tokenfleet_core::manifest::{gitops, terraform, Document};

use crate::archive;
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

/// Each document with its identity: kind, name, and which document of that kind and name it is.
fn identities_of(documents: &[Document]) -> impl Iterator<Item = (String, &Document)> {
    documents.iter().enumerate().map(|(i, doc)| {
        let repeats = documents[..i].iter().filter(|d| d.kind == doc.kind && d.name == doc.name).count();
        (format!("{}/{}/{repeats}", doc.kind, doc.name), doc)
    })
}

fn identities(documents: &[Document]) -> Vec<String> {
    identities_of(documents).map(|(id, _)| id).collect()
}

/// Offers the plan's export in `format` (`kustomize`, `helm` or `terraform`: the files `tokenfleet
/// export --format FORMAT --out DIR` writes) as one zip archive, `<plan>-<format>.zip`.
fn offer_tree(store: Store, format: &str) {
    let (name, files) = store.plan.with_untracked(|p| {
        let files: Vec<_> = match format {
            "terraform" => terraform::terraform(p),
            "helm" => gitops::helm_chart(p).into_iter().map(|f| (f.path, f.text)).collect(),
            _ => gitops::kustomize(p).into_iter().map(|f| (f.path, f.text)).collect(),
        };
        (format!("{}-{format}", p.metadata.name), files)
    });
    match archive::zip_tree(&name, &files) {
        Ok(bytes) => dom::download_bytes(&format!("{name}.zip"), &bytes, "application/zip"),
        Err(e) => store.notify(true, format!("The {format} archive could not be written: {e}")),
    }
}

#[component]
pub fn ExportPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let export = Memo::new(move |_| store.derived.with(|d| d.export.clone()));
    let plan_name = move || store.plan.with(|p| p.metadata.name.clone());
    // The documents by identity (kind, name, and which of that kind and name): each has its own span,
    // rewritten only when its text changes, and a span is added or removed only with its document.
    let identities = Memo::new(move |_| store.derived.with(|d| identities(&d.documents)));
    let documents = Memo::new(move |_| {
        store.derived.with(|d| {
            d.documents.iter().map(|doc| (doc.file_name(), format!("{} {}", doc.kind, doc.name))).collect::<Vec<_>>()
        })
    });
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
                <button data-testid="export-kustomize" title="base/ with every resource and overlays/production and overlays/staging, as tokenfleet export --format kustomize writes them"
                    on:click=handler(move |_| offer_tree(store, "kustomize"))>"Kustomize (zip)"</button>
                <button data-testid="export-helm" title="A chart whose default render is these manifests, as tokenfleet export --format helm writes it"
                    on:click=handler(move |_| offer_tree(store, "helm"))>"Helm chart (zip)"</button>
                <button data-testid="export-terraform" hidden=move || store.plan.with(|p| !terraform::has_reservations(p))
                    title="The capacity reservations this plan relies on, as tokenfleet export --format terraform writes them"
                    on:click=handler(move |_| offer_tree(store, "terraform"))>"Terraform for the reservations (zip)"</button>
                <button data-testid="plan-download" on:click=handler(move |_| {
                    let yaml = store.plan.with_untracked(|p| p.to_yaml());
                    dom::download(&format!("{}.plan.yaml", plan_name()), &yaml, "application/yaml")
                })>"Download plan"</button>
            </div>
            <details class="tf-docs">
                <summary>{move || documents.with(|d| format!("{} resources", d.len()))}</summary>
                <ul>
                    // Keyed by file name: an edit touches no row; a click downloads the document as it is now.
                    <For each=move || documents.get() key=Clone::clone let:doc>
                        {
                            let (file, label) = doc;
                            let name = file.clone();
                            let download = move |_| {
                                store.derived.with_untracked(|d| {
                                    if let Some(doc) = d.documents.iter().find(|doc| doc.file_name() == name) {
                                        dom::download(&name, &doc.yaml, "application/yaml");
                                    }
                                })
                            };
                            view! { <li><button class="tf-link" on:click=handler(download)>{label}</button></li> }
                        }
                    </For>
                </ul>
            </details>
            // One highlighted span per document (`---` and its YAML, as `join_stream` writes them): an
            // edit rewrites only the documents it changed.
            <pre class="tf-yaml" data-testid="export-yaml" tabindex="0" aria-label="Exported Kubernetes manifests">
                <For each=move || identities.get() key=Clone::clone let:identity>
                    {
                        let text = Memo::new(move |_| {
                            store.derived.with(|d| {
                                identities_of(&d.documents)
                                    .find(|(id, _)| *id == identity)
                                    .map(|(_, doc)| doc.yaml.clone())
                                    .unwrap_or_default()
                            })
                        });
                        view! { <span inner_html=move || text.with(|yaml| highlight(&format!("---\n{yaml}")))></span> }
                    }
                </For>
            </pre>
        </section>
    }
}
