//! Tokenfleet's web app: components render what tokenfleet-core computes; no business logic here.

mod chart;
mod summary;

use leptos::prelude::*;
use tokenfleet_core::{examples, manifest, place, plan};

pub use summary::Summary;

/// The root component: loads the built-in example plan and shows core's figures and manifests.
#[component]
pub fn App() -> impl IntoView {
    let text = examples::example(examples::DEFAULT_EXAMPLE).unwrap_or_default();
    let initial = plan::parse_plan(text);
    let (load_error, plan) = match initial {
        Ok(plan) => (None, Some(plan)),
        Err(e) => (Some(e.to_string()), None),
    };
    let (plan, _set_plan) = signal(plan);
    let outcome = Memo::new(move |_| plan.with(|p| p.as_ref().map(place::evaluate)));
    let export_yaml = Memo::new(move |_| plan.with(|p| p.as_ref().map(manifest::render_stream).unwrap_or_default()));
    let title = move || plan.with(|p| p.as_ref().map(|p| p.metadata.name.clone()).unwrap_or_default());
    let region = move || plan.with(|p| p.as_ref().map(|p| p.spec.region.clone()).unwrap_or_default());

    view! {
        <header class="tf-header">
            <h1>"Tokenfleet"</h1>
            <p class="tf-tagline">"LLM inference capacity on Amazon EKS with Karpenter"</p>
        </header>
        <main class="tf-main">
            {load_error.map(|e| view! { <p class="tf-error" role="alert">"Example plan failed to load: " {e}</p> })}
            <section class="tf-panel" aria-labelledby="plan-title">
                <h2 id="plan-title">"Plan " <span data-testid="plan-name">{title}</span> " · " {region}</h2>
                {move || outcome.get().map(|o| view! { <Summary outcome=o /> })}
            </section>
            <section class="tf-panel" aria-labelledby="cost-title">
                <h2 id="cost-title">"Cost by node group (USD/hour)"</h2>
                {move || outcome.get().map(|o| view! { <chart::CostChart outcome=o /> })}
            </section>
            <section class="tf-panel" aria-labelledby="export-title">
                <h2 id="export-title">"Manifests"</h2>
                <pre class="tf-yaml" data-testid="export-yaml">{export_yaml}</pre>
            </section>
        </main>
    }
}
