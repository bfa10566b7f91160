//! Labelled form fields that commit on change: a bad value gets a message at its field and the
//! plan keeps its last good state.

use leptos::prelude::*;

use crate::dom::handler;
use crate::store::field_id;

/// A labelled text input for one plan field. `on_commit` receives the text and returns why it was
/// refused, if it was; the message stays at the field until the next successful change.
#[component]
pub fn Field(
    /// Plan path of the field (`spec.workload.requestsPerSecond.peak`), used as its element id; it
    /// follows the plan (a NodePool's index changes when the pools are reordered).
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] label: String,
    /// Unit shown after the input (`req/s`, `tokens`, `ms`); empty for none.
    #[prop(into, optional)]
    unit: String,
    /// The current value, as text.
    #[prop(into)]
    value: Signal<String>,
    on_commit: impl Fn(String) -> Result<(), String> + 'static,
    /// A numeric field (narrow, numeric keyboard).
    #[prop(optional)]
    numeric: bool,
    /// Shown while the field is empty (what an empty value means, such as an inherited figure); none
    /// when empty.
    #[prop(into, optional)]
    placeholder: Signal<String>,
    /// `data-testid` of the input, for browser tests.
    #[prop(optional)]
    test_id: Option<&'static str>,
) -> impl IntoView {
    let looks = Looks { path, label, unit, value, numeric, placeholder, test_id };
    field_view(looks, Box::new(on_commit))
}

/// Everything about a [`Field`] but its commit function.
struct Looks {
    path: Signal<String>,
    label: String,
    unit: String,
    value: Signal<String>,
    numeric: bool,
    placeholder: Signal<String>,
    test_id: Option<&'static str>,
}

/// The body of [`Field`]: not generic over the commit function, so the bundle carries one copy of it
/// rather than one per field in the app.
fn field_view(looks: Looks, on_commit: Box<dyn Fn(String) -> Result<(), String>>) -> AnyView {
    let Looks { path, label, unit, value, numeric, placeholder, test_id } = looks;
    let error = RwSignal::new(None::<String>);
    let id = move || field_id(&path.get());
    let error_id = move || format!("{}-error", id());
    let change = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        error.set(on_commit(text).err());
    };
    view! {
        <label class="tf-field" class:tf-field-bad=move || error.with(Option::is_some)>
            <span class="tf-field-label">{label}</span>
            <span class="tf-field-input">
                <input
                    id=id
                    type="text"
                    inputmode=if numeric { "decimal" } else { "text" }
                    class:tf-num=numeric
                    prop:value=move || value.get()
                    placeholder=move || Some(placeholder.get()).filter(|p| !p.is_empty())
                    data-testid=test_id
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby=error_id
                    on:change=handler(change)
                />
                {(!unit.is_empty()).then(|| view! { <span class="tf-unit">{unit}</span> })}
            </span>
            <span class="tf-field-error" id=error_id role="alert" data-testid="field-error">
                {move || error.get()}
            </span>
        </label>
    }
    .into_any()
}

/// Parses a number typed by a person, with a message naming the unit when it is not one.
pub fn number(text: &str, unit: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{:?} is not a number: enter a number of {unit}", text.trim())),
    }
}

/// Parses a whole number typed by a person.
pub fn whole(text: &str, unit: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| format!("{:?} is not a whole number: enter a count of {unit}", text.trim()))
}

/// Formats a number without trailing zeros (`2`, `0.5`).
pub fn show(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
