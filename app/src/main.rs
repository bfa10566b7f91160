//! Entry point of the web app: installs the panic hook and mounts the root component.

fn main() {
    if tokenfleet_app::widget::embedded() {
        // Loaded by dist/widget/tokenfleet-widget.js: widgets are mounted on demand (widget.rs).
        console_error_panic_hook::set_once();
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        tokenfleet_app::show_crash(&info.to_string());
    }));
    leptos::mount::mount_to_body(tokenfleet_app::App);
}
