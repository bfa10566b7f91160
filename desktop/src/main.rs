//! Tokenfleet's desktop shell: a Tauri v2 window around the web app embedded from ../dist, fully
//! offline, with native open and save dialogs for plans and manifests.
//!
//! The app (app/src/desktop.rs) calls three commands through `window.__TAURI__.core.invoke`:
//! `open_file` and `save_file` show the native dialog and read or write the chosen file here, in
//! Rust, so the web page never gets file system access; `smoke_report` ends a `--smoke` run.
//!
//! `tokenfleet-desktop --smoke DIR` is the test mode scripts/test-desktop runs under Xvfb: dialogs are
//! replaced by files in DIR (`open-plan.yaml` or `open-manifest.yaml` is "chosen" for opening, saves
//! land in DIR under their suggested name), a scripted session opens a plan, edits it in the page and
//! saves plan and manifests, the report goes to DIR/smoke-report.json, and the window stays up until
//! DIR/screenshot.done appears (the script screenshots it meanwhile) or 20 s pass.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

/// Files over this size are refused before reading, as the CLI does.
const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// The scripted session of a `--smoke` run, evaluated in the page once it has loaded.
const SMOKE_SCRIPT: &str = include_str!("smoke.js");

/// Where dialogs read and write in a `--smoke` run; `None` in normal use, where the person chooses.
struct TestFiles(Option<PathBuf>);

/// A file the person opened: its name (for messages) and its text.
#[derive(serde::Serialize)]
struct OpenedFile {
    name: String,
    path: String,
    text: String,
}

/// The dialog filter for a kind of file: a Tokenfleet plan or Kubernetes manifests.
fn filter(kind: &str) -> Result<(&'static str, &'static str), String> {
    match kind {
        "plan" => Ok(("Tokenfleet plan", "Open a Tokenfleet plan")),
        "manifest" => Ok(("Kubernetes manifests", "Open Kubernetes manifests")),
        other => Err(format!("unknown file kind {other:?}: expected \"plan\" or \"manifest\"")),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Shows the native open dialog for `kind` and returns the chosen file's text, or `None` when the
/// person cancelled.
#[tauri::command]
async fn open_file(app: AppHandle, test: State<'_, TestFiles>, kind: String) -> Result<Option<OpenedFile>, String> {
    let (filter_name, title) = filter(&kind)?;
    let path = match &test.0 {
        Some(dir) => Some(dir.join(format!("open-{kind}.yaml"))),
        None => app
            .dialog()
            .file()
            .set_title(title)
            .add_filter(filter_name, &["yaml", "yml", "json"])
            .blocking_pick_file()
            .map(|p| p.into_path().map_err(|e| format!("the chosen file is not a local path: {e}")))
            .transpose()?,
    };
    let Some(path) = path else { return Ok(None) };
    let size = std::fs::metadata(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{} is {size} bytes; files over 5 MB are refused", path.display()));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    Ok(Some(OpenedFile { name: file_name(&path), path: path.display().to_string(), text }))
}

/// Shows the native save dialog for `kind` with `suggested_name`, writes `text` to the chosen file
/// and returns its path, or `None` when the person cancelled.
#[tauri::command]
async fn save_file(
    app: AppHandle,
    test: State<'_, TestFiles>,
    kind: String,
    suggested_name: String,
    text: String,
) -> Result<Option<String>, String> {
    let (filter_name, _) = filter(&kind)?;
    // Only a plain file name is suggested: never a path from the page.
    let suggested = file_name(Path::new(&suggested_name));
    let path = match &test.0 {
        Some(dir) => Some(dir.join(&suggested)),
        None => app
            .dialog()
            .file()
            .set_title(if kind == "plan" { "Save the plan" } else { "Save the manifests" })
            .set_file_name(&suggested)
            .add_filter(filter_name, &["yaml", "yml"])
            .blocking_save_file()
            .map(|p| p.into_path().map_err(|e| format!("the chosen file is not a local path: {e}")))
            .transpose()?,
    };
    let Some(path) = path else { return Ok(None) };
    std::fs::write(&path, text).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

/// Ends a `--smoke` run: writes the page's report, waits for the screenshot, exits 0 when the
/// session succeeded and 1 when it did not.
#[tauri::command]
fn smoke_report(app: AppHandle, test: State<'_, TestFiles>, report: serde_json::Value) {
    let Some(dir) = test.0.clone() else { return };
    let ok = report.get("ok").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    println!("smoke report: {text}");
    let _ = std::fs::write(dir.join("smoke-report.json"), text + "\n");
    std::thread::spawn(move || {
        let start = Instant::now();
        while !dir.join("screenshot.done").exists() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        app.exit(if ok { 0 } else { 1 });
    });
}

fn main() {
    let mut args = std::env::args().skip(1);
    let smoke_dir = match (args.next().as_deref(), args.next()) {
        (Some("--smoke"), Some(dir)) => Some(PathBuf::from(dir)),
        (None, _) => None,
        _ => {
            eprintln!("usage: tokenfleet-desktop [--smoke DIR]");
            std::process::exit(2);
        }
    };
    if smoke_dir.is_some() {
        // A run that hangs is a failure, not a stuck CI job.
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(120));
            eprintln!("smoke: no report from the page within 120 s");
            std::process::exit(3);
        });
    }
    let smoke = smoke_dir.is_some();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(TestFiles(smoke_dir))
        .invoke_handler(tauri::generate_handler![open_file, save_file, smoke_report])
        .on_page_load(move |webview, payload| {
            if smoke && payload.event() == PageLoadEvent::Finished {
                eprintln!("smoke: page loaded: {}", payload.url());
                if let Err(e) = webview.eval(SMOKE_SCRIPT) {
                    eprintln!("smoke: could not start the session: {e}");
                }
            }
        })
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_focus();
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("tokenfleet-desktop: {e}");
            std::process::exit(1);
        });
}
