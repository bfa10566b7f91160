//! Entry point of the web app: installs the panic hook and mounts the root component.

fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        tokenfleet_app::show_crash(&info.to_string());
    }));
    leptos::mount::mount_to_body(tokenfleet_app::App);
}
