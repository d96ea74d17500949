#!/usr/bin/env bash
# Copies the pinned packages' published browser builds into the server's
# embedded assets. CI runs it and fails when the committed files differ.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund >/dev/null
out=../../internal/server/explore/vendor
mkdir -p "$out"
cp node_modules/cytoscape/dist/cytoscape.min.js "$out/"
cp node_modules/d3-array/dist/d3-array.min.js "$out/"
cp node_modules/d3-geo/dist/d3-geo.min.js "$out/"
cp node_modules/topojson-client/dist/topojson-client.min.js "$out/"
cp node_modules/world-atlas/countries-110m.json "$out/"
{
  echo "Third-party files of the investigation pages, copied unchanged by tools/explore-vendor/vendor.sh"
  echo "from the npm packages pinned in tools/explore-vendor/package-lock.json. Their licences follow."
  for p in cytoscape d3-array d3-geo topojson-client world-atlas internmap; do
    v=$(node -p "require('./node_modules/$p/package.json').version")
    l=$(node -p "require('./node_modules/$p/package.json').license")
    echo
    echo "== $p $v ($l) =="
    cat node_modules/$p/LICENSE*
  done
} > "$out/LICENSES.txt"
