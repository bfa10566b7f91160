#!/bin/sh
# Trunk post_build hook (Trunk.toml): writes dist/widget/ from app/widget/, filling the widget
# module's placeholders with the hashed names of the app's JS, wasm and CSS that Trunk just wrote.
set -eu
staging="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
index="$staging/index.html"
js=$(sed -n 's/.*data-tokenfleet-js="\([^"]*\)".*/\1/p' "$index" | head -n 1)
wasm=$(sed -n 's/.*data-tokenfleet-wasm="\([^"]*\)".*/\1/p' "$index" | head -n 1)
css=$(sed -n 's/.*rel="stylesheet" href="\.\/\([^"]*\.css\)".*/\1/p' "$index" | head -n 1)
for name in "$js" "$wasm" "$css"; do
  [ -n "$name" ] && [ -e "$staging/$name" ] || { echo "app/widget/build.sh: no app JS, wasm or CSS in $index" >&2; exit 1; }
done
mkdir -p "$staging/widget"
sed -e "s|__TOKENFLEET_JS__|$js|" -e "s|__TOKENFLEET_WASM__|$wasm|" -e "s|__TOKENFLEET_CSS__|$css|" \
  app/widget/tokenfleet-widget.js > "$staging/widget/tokenfleet-widget.js"
cp app/widget/demo.html app/widget/demo.js "$staging/widget/"
