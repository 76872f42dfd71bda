#!/usr/bin/env bash
# Runs CI (.ci/run) on a clean clone of the current commit under other Node.js majors: 22 and 24 unless
# given, e.g. `bash scripts/other-nodes.sh 24`. Node comes from the npm registry's node-<platform>-<arch>
# packages, so nothing but the registry is needed; without a prebuilt better-sqlite3 for that Node, it is
# compiled against the headers that package ships.
set -euo pipefail
cd "$(dirname "$0")/.."

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
package="node-$(node -p 'process.platform + "-" + process.arch')"
work=$(mktemp -d)
# As root the test PostgreSQL runs as the postgres user, who must be able to reach the clone.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/repo"
commit=$(git -C "$work/repo" rev-parse --short HEAD)

failed=()
for major in "${majors[@]}"; do
  echo "== Node $major ($package@$major), commit $commit"
  npm install --silent --no-save --no-package-lock --prefix "$work/node$major" "$package@$major"
  home="$work/node$major/node_modules/$package"
  rm -rf "$work/repo/node_modules"
  if (cd "$work/repo" && PATH="$home/bin:$PATH" npm_config_nodedir="$home" bash .ci/run >"$work/node$major.log" 2>&1); then
    echo "   passed on $("$home/bin/node" --version)"
  else
    echo "   FAILED on $("$home/bin/node" --version); the end of its log:"
    tail -40 "$work/node$major.log"
    failed+=("$major")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "failed on Node ${failed[*]}"; exit 1; }
