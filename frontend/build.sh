#!/usr/bin/env bash
# Rebuild SEN Portal's vendored front-end assets from the npm registry.
#
#   bash frontend/build.sh        (works from any directory)
#
# Inputs : frontend/package.json + package-lock.json (exact versions), frontend/app.scss
# Outputs (all committed; nothing is downloaded at run time):
#   static/govuk/app.css                 GOV.UK Frontend + app styles, Arial, compressed
#   static/govuk/govuk-frontend.min.js   ES module (exports initAll), no source map
#   static/govuk/assets/                 images, manifest.json (+ rebrand/ if shipped)
#   static/govuk/LICENSE.txt
#   static/vendor/chart.umd.min.js       global `Chart`, + chart.js-LICENSE.md
#   tests/vendor/axe.min.js              browser tests only, + axe-core-LICENSE.txt
#   static/VERSIONS.txt
# See docs/frontend.md.
set -euo pipefail

FRONTEND="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FRONTEND")"
NM="$FRONTEND/node_modules"
G="$NM/govuk-frontend/dist/govuk"

STATIC="$ROOT/static"
OUT_GOVUK="$STATIC/govuk"
OUT_VENDOR="$STATIC/vendor"
OUT_TESTS="$ROOT/tests/vendor"

die() { echo "build.sh: ERROR: $*" >&2; exit 1; }

# Strip `//# sourceMappingURL=...` (own line or end of the last code line) so
# ManifestStaticFilesStorage never looks for a .map file we don't ship.
strip_map() {
  sed -E 's@//# sourceMappingURL=[^[:space:]]*[[:space:]]*$@@' "$1" > "$2"
  if grep -q 'sourceMappingURL' "$2"; then die "sourceMappingURL left in $2"; fi
}

pkg_version() { node -p "require('$NM/$1/package.json').version"; }

cd "$FRONTEND"

echo "==> npm ci"
# --ignore-scripts: the only install script is sass's optional file watcher
# (@parcel/watcher), which a one-off compile does not use.
npm ci --no-audit --no-fund --ignore-scripts

echo "==> sass"
mkdir -p "$OUT_GOVUK" "$OUT_VENDOR" "$OUT_TESTS"
npx --no-install sass --pkg-importer=node --style=compressed --no-source-map \
  app.scss "$OUT_GOVUK/app.css"

echo "==> govuk-frontend JS + assets"
strip_map "$G/govuk-frontend.min.js" "$OUT_GOVUK/govuk-frontend.min.js"
rm -rf "$OUT_GOVUK/assets"
mkdir -p "$OUT_GOVUK/assets"
cp -R "$G/assets/images" "$OUT_GOVUK/assets/images"
cp "$G/assets/manifest.json" "$OUT_GOVUK/assets/manifest.json"
if [ -d "$G/assets/rebrand" ]; then
  cp -R "$G/assets/rebrand" "$OUT_GOVUK/assets/rebrand"
fi
# Fonts are only needed if the CSS still references them (it shouldn't: Arial).
if grep -Eq 'url\([^)]*fonts/' "$OUT_GOVUK/app.css"; then
  echo "    app.css references fonts/: copying fonts" >&2
  cp -R "$G/assets/fonts" "$OUT_GOVUK/assets/fonts"
fi

# The npm package ships no LICENSE file; its package.json says MIT. This is
# the LICENSE.txt from https://github.com/alphagov/govuk-frontend.
cat > "$OUT_GOVUK/LICENSE.txt" <<'EOF'
govuk-frontend (https://github.com/alphagov/govuk-frontend)

The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF

echo "==> chart.js"
strip_map "$NM/chart.js/dist/chart.umd.min.js" "$OUT_VENDOR/chart.umd.min.js"
cp "$NM/chart.js/LICENSE.md" "$OUT_VENDOR/chart.js-LICENSE.md"

echo "==> axe-core (tests only)"
strip_map "$NM/axe-core/axe.min.js" "$OUT_TESTS/axe.min.js"
cp "$NM/axe-core/LICENSE" "$OUT_TESTS/axe-core-LICENSE.txt"

echo "==> checks"
CSS="$OUT_GOVUK/app.css"
if grep -q 'GDS Transport' "$CSS"; then die "app.css mentions GDS Transport"; fi
# Every url(...) must be /static/govuk/assets/<file> and that file must exist.
bad=0
while IFS= read -r u; do
  u="${u#url(}"; u="${u%)}"; u="${u//\"/}"; u="${u//\'/}"
  case "$u" in
    data:*) continue ;;
    /static/govuk/assets/*)
      f="$OUT_GOVUK/assets/${u#/static/govuk/assets/}"
      f="${f%%[?#]*}"
      [ -f "$f" ] || { echo "    missing file for url($u)" >&2; bad=1; } ;;
    *) echo "    url($u) is not under /static/govuk/assets/" >&2; bad=1 ;;
  esac
done < <(grep -oE 'url\([^)]*\)' "$CSS" | sort -u)
[ "$bad" -eq 0 ] || die "app.css has bad url() references"
grep -q 'initAll' "$OUT_GOVUK/govuk-frontend.min.js" || die "govuk-frontend.min.js does not export initAll"

echo "==> VERSIONS.txt"
{
  echo "# Vendored front-end assets. Built by frontend/build.sh; do not edit by hand."
  echo "# Built: $(date -u +%Y-%m-%d) (node $(node --version), npm $(npm --version))"
  for p in govuk-frontend sass chart.js axe-core; do
    printf '%s %s\n' "$p" "$(pkg_version "$p")"
  done
} > "$STATIC/VERSIONS.txt"
cat "$STATIC/VERSIONS.txt"

echo "==> done"
du -ch "$CSS" "$OUT_GOVUK/govuk-frontend.min.js" "$OUT_GOVUK/assets" \
  "$OUT_VENDOR/chart.umd.min.js" "$OUT_TESTS/axe.min.js" | tail -1
