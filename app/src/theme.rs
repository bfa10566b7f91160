//! The colour theme: light or dark, following the system's `prefers-color-scheme` (also when it
//! changes while the page is open) until the person picks one with the toolbar's button; that choice
//! is kept in localStorage ([`THEME_KEY`]) and wins on the next visit too. The page
//! gets it as `data-theme` on the root element (style.css); the charts read [`Theme::dark`] and
//! redraw with their colours when it changes.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::store::effect;

/// The localStorage key of the theme the person picked (`light` or `dark`).
pub const THEME_KEY: &str = "tokenfleet.theme";

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The page's theme, provided as context by the root component.
#[derive(Clone, Copy)]
pub struct Theme {
    /// The theme showing, `light` or `dark`: the value of `data-theme` (kept as text, a signal type
    /// the app has anyway, rather than a bool signal of its own).
    name: RwSignal<String>,
    /// The theme the person picked, if any (then the system preference no longer moves it).
    chosen: RwSignal<Option<String>>,
}

/// The name of the dark or the light theme.
fn theme_name(dark: bool) -> String {
    if dark { "dark" } else { "light" }.to_string()
}

impl Theme {
    /// Starts from the system preference, follows its changes, and keeps `data-theme` on `<html>`
    /// in step.
    pub fn install() -> Theme {
        let query = window().match_media("(prefers-color-scheme: dark)").ok().flatten();
        let saved =
            storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).filter(|v| v == "dark" || v == "light");
        let theme = Theme {
            name: RwSignal::new(
                saved.clone().unwrap_or_else(|| theme_name(query.as_ref().is_some_and(|q| q.matches()))),
            ),
            chosen: RwSignal::new(saved),
        };
        if let Some(query) = query {
            let watched = query.clone();
            let listener = Closure::<dyn Fn()>::new(move || {
                if theme.chosen.with_untracked(Option::is_none) {
                    theme.name.set(theme_name(watched.matches()));
                }
            });
            let _ = query.add_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
            // The page's root component lives as long as the page: the listener does too.
            listener.forget();
        }
        effect(move |_| {
            if let Some(root) = document().document_element() {
                let _ = theme.name.with(|name| root.set_attribute("data-theme", name));
            }
        });
        provide_context(theme);
        theme
    }

    /// Whether the dark theme is showing; read in an effect or a view, it follows changes.
    pub fn dark(&self) -> bool {
        self.name.with(|name| name == "dark")
    }

    /// Switches between light and dark by the person's choice, and remembers it.
    pub fn toggle(&self) {
        let next = theme_name(!self.name.with_untracked(|name| name == "dark"));
        if let Some(s) = storage() {
            let _ = s.set_item(THEME_KEY, &next);
        }
        self.chosen.set(Some(next.clone()));
        self.name.set(next);
    }
}
