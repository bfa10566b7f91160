//! Prepares the window's files and generates Tauri's context (configuration, capabilities, embedded
//! files) at compile time.
//!
//! The window shows ../dist (built by `make dist`) as is, except for one change: its
//! Content-Security-Policy also lets the page reach Tauri's IPC (`ipc:` and `http://ipc.localhost`),
//! which the static site has no use for. The copy goes to gen/frontend (`frontendDist`).

use std::fs;
use std::path::Path;

const STATIC_CONNECT: &str = "connect-src 'self'";
const DESKTOP_CONNECT: &str = "connect-src 'self' ipc: http://ipc.localhost";

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn main() {
    println!("cargo:rerun-if-changed=../dist");
    println!("cargo:rerun-if-changed=gen/frontend");
    let (dist, frontend) = (Path::new("../dist"), Path::new("gen/frontend"));
    let index = fs::read_to_string(dist.join("index.html"))
        .unwrap_or_else(|e| panic!("../dist/index.html: {e}; build the web app first (make dist)"));
    assert!(index.contains(STATIC_CONNECT), "../dist/index.html has no `{STATIC_CONNECT}` in its CSP");
    let _ = fs::remove_dir_all(frontend);
    copy_dir(dist, frontend).expect("copying ../dist to gen/frontend");
    fs::write(frontend.join("index.html"), index.replacen(STATIC_CONNECT, DESKTOP_CONNECT, 1))
        .expect("writing gen/frontend/index.html");
    tauri_build::build()
}
