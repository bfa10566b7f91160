# Tokenfleet developer entry points. Each target installs what it lacks (from crates.io, npm and
# Debian; rustfmt and clippy from rustup's dist server) and is fast when everything is already in place.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

E2E := tests/e2e
NODE_BIN := $(CURDIR)/$(E2E)/node_modules/.bin
# npm's wasm-opt first: Trunk must find binaryen 132, not an older system copy.
export PATH := $(NODE_BIN):$(HOME)/.cargo/bin:$(PATH)

TRUNK_VERSION := 0.21.14
# The wasm-bindgen-cli version must equal the wasm-bindgen crate in Cargo.lock (pinned with `=`).
WASM_BINDGEN_VERSION = $(shell awk '$$0 == "name = \"wasm-bindgen\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help serve test dist bench accuracy fuzz desktop tools-web tools-browser tools-desktop tools-lint

help:
	@echo "make serve     build the web app and serve it on http://127.0.0.1:8080 (example plan loaded)"
	@echo "make test      install test tools, run every test (cargo, fmt + clippy, browser end-to-end, desktop app under Xvfb), print a summary"
	@echo "make dist      build the static site into dist/ (with the embeddable widget in dist/widget/)"
	@echo "make desktop   build the desktop app (Tauri) around dist/: desktop/target/debug/tokenfleet-desktop"
	@echo "make bench     run the benchmarks (native) and report the web bundle size"
	@echo "make accuracy  print the performance model's calibration report"
	@echo "make fuzz      fuzz every input surface for FUZZ_SECONDS each (default 60; cargo-fuzz, libFuzzer, stable Rust)"

## Tools ------------------------------------------------------------------------------------------

tools-web: $(E2E)/node_modules/.package-lock.json
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(trunk --version 2>/dev/null)" != "trunk $(TRUNK_VERSION)" ]; then \
	  echo "installing trunk $(TRUNK_VERSION) from crates.io (about 13 minutes on 2 cores)"; \
	  cargo install trunk --locked --version $(TRUNK_VERSION); fi
	@[ -n "$(WASM_BINDGEN_VERSION)" ] || { cargo metadata --format-version 1 >/dev/null; }
	@v="$$(awk '$$0 == "name = \"wasm-bindgen\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"; \
	  grep -q "wasm_bindgen = \"$$v\"" Trunk.toml || { echo "Trunk.toml [tools] wasm_bindgen differs from Cargo.lock's wasm-bindgen $$v"; exit 1; }; \
	  if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $$v" ]; then \
	  echo "installing wasm-bindgen-cli $$v from crates.io (about 8 minutes on 2 cores)"; \
	  cargo install wasm-bindgen-cli --version "$$v" --force; fi

# Node packages: playwright-core (driving Debian's Chromium) and binaryen (wasm-opt).
$(E2E)/node_modules/.package-lock.json: $(E2E)/package.json $(E2E)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	cd $(E2E) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

tools-browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-dejavu-core; fi

# The desktop shell (desktop/, Tauri v2): WebKitGTK and GTK headers to build it, Xvfb and ImageMagick
# to run and screenshot it in tests. With recommends: a fresh machine then gets the runtime pieces
# WebKitGTK expects (GL, fonts, portals) without us having to list them; it costs a few minutes once.
DESKTOP_DEBS := libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev \
  libxdo-dev libssl-dev pkg-config xvfb xauth imagemagick libegl-mesa0 libgl1-mesa-dri fonts-dejavu-core

tools-desktop:
	@missing=""; for p in $(DESKTOP_DEBS); do dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages for the desktop app:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi

# rustfmt and clippy, for the fmt/clippy step of `make test`. rustup fetches them from
# static.rust-lang.org; when that fails this target fails, and `make test` (which carries on so the other
# steps still report) counts its fmt/clippy step as FAILED.
tools-lint:
	@if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then \
	  echo "installing rustfmt and clippy with rustup"; \
	  rustup component add rustfmt clippy || { \
	  echo "tools-lint: FAILED to install rustfmt and clippy (rustup component add rustfmt clippy); fmt/clippy cannot run" >&2; exit 1; }; fi

## Build and serve --------------------------------------------------------------------------------

dist: tools-web
	trunk --skip-version-check build --release

desktop: dist tools-desktop
	cd desktop && cargo build --locked
	@echo "built desktop/target/debug/tokenfleet-desktop (run it; it needs nothing else, and no network)"

serve: tools-web
	@echo "serving on http://127.0.0.1:8080 (Ctrl+C to stop)"
	trunk --skip-version-check serve --release

## Tests, benchmarks, accuracy --------------------------------------------------------------------

test: tools-web tools-browser tools-desktop
	@$(MAKE) --no-print-directory tools-lint || echo "make test: carrying on; scripts/test-all fails the fmt/clippy step" >&2
	@scripts/test-all

bench: dist
	cargo bench -p tokenfleet-core
	@scripts/wasm-size

# One libFuzzer target per input surface (fuzz/fuzz_targets/, invariants in tests/fuzz_surfaces.rs).
# `--sanitizer none` works on stable Rust: the code is safe Rust, the findings are panics and broken
# invariants. New inputs that reach new coverage are added to fuzz/corpus/<target>/ (minimise with
# `cargo fuzz cmin --sanitizer none <target>` and commit the smallest, about 1 MB per target; `make
# test` replays the corpus); a failing input lands in fuzz/artifacts/<target>/, and once
# fixed it belongs in fuzz/regressions/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= plan import trace share flags estimate
fuzz:
	@command -v cargo-fuzz >/dev/null || { echo "installing cargo-fuzz from crates.io"; cargo install cargo-fuzz --locked; }
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  cargo fuzz run --sanitizer none $$t fuzz/corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 | tee fuzz/$$t.log | grep -E '^(#[0-9]+.*(INITED|DONE)|Done|==|SUMMARY|stat::number_of_executed_units)' ; \
	done
	@for t in $(FUZZ_TARGETS); do printf '%-8s executions: %s\n' "$$t" "$$(awk '/stat::number_of_executed_units/ {print $$NF}' fuzz/$$t.log)"; done

accuracy:
	cargo test --release -p tokenfleet-tests --test integration calibration -- --nocapture --test-threads=1
