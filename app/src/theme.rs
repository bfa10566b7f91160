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
    /// Whether the dark theme is showing.
    pub dark: RwSignal<bool>,
    /// Whether the person chose the theme (then the system preference no longer moves it).
    chosen: RwSignal<bool>,
}

impl Theme {
    /// Starts from the system preference, follows its changes, and keeps `data-theme` on `<html>`
    /// in step.
    pub fn install() -> Theme {
        let query = window().match_media("(prefers-color-scheme: dark)").ok().flatten();
        let saved = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten());
        let saved = saved.as_deref().and_then(|v| match v {
            "dark" => Some(true),
            "light" => Some(false),
            _ => None,
        });
        let theme = Theme {
            dark: RwSignal::new(saved.unwrap_or_else(|| query.as_ref().is_some_and(|q| q.matches()))),
            chosen: RwSignal::new(saved.is_some()),
        };
        if let Some(query) = query {
            let watched = query.clone();
            let listener = Closure::<dyn Fn()>::new(move || {
                if !theme.chosen.get_untracked() {
                    theme.dark.set(watched.matches());
                }
            });
            let _ = query.add_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
            // The page's root component lives as long as the page: the listener does too.
            listener.forget();
        }
        effect(move |_| {
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-theme", if theme.dark.get() { "dark" } else { "light" });
            }
        });
        provide_context(theme);
        theme
    }

    /// Switches between light and dark by the person's choice, and remembers it.
    pub fn toggle(&self) {
        self.chosen.set(true);
        self.dark.update(|d| *d = !*d);
        if let Some(s) = storage() {
            let _ = s.set_item(THEME_KEY, if self.dark.get_untracked() { "dark" } else { "light" });
        }
    }
}
