//! Generates Tauri's context (configuration, capabilities, embedded ../dist) at compile time.

fn main() {
    println!("cargo:rerun-if-changed=../dist");
    tauri_build::build()
}
