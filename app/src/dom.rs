//! Small bridges to the browser: downloads, the clipboard, file reading.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, text: &str, mime: &str) {
    offer(name, &wasm_bindgen::JsValue::from_str(text), mime);
}

/// Offers `bytes` (an archive) as a file download named `name`.
pub fn download_bytes(name: &str, bytes: &[u8], mime: &str) {
    offer(name, &js_sys::Uint8Array::from(bytes), mime);
}

fn offer(name: &str, part: &wasm_bindgen::JsValue, mime: &str) {
    let parts = js_sys::Array::of1(part);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document().create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Copies text to the clipboard (best effort; the browser may refuse without a user gesture).
pub fn copy(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

/// Reads the first file of a file input and hands its text to `done`.
pub fn read_file(input: &web_sys::HtmlInputElement, done: impl FnOnce(String, String) + 'static) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    let name = file.name();
    let promise = file.text();
    leptos::task::spawn_local(async move {
        if let Ok(value) = wasm_bindgen_futures::JsFuture::from(promise).await {
            done(name, value.as_string().unwrap_or_default());
        }
    });
}

/// An event handler, boxed: every `on:` of one event then has the same listener type, so the wasm
/// carries Leptos' listener code once per event instead of once per handler.
pub fn handler<E: 'static>(f: impl FnMut(E) + 'static) -> Box<dyn FnMut(E)> {
    Box::new(f)
}

/// Runs `f` after the browser has painted the next frame: for work a person does not wait to see
/// (autosave, the share link's address, the cost chart), so that an edit's own update reaches the
/// screen first. A task queued with a zero timeout would run before that paint.
pub fn after_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(f, std::time::Duration::ZERO));
}
