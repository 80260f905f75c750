#!/bin/bash
# Whole-suite runner:  bash test/run.sh [TEST_FILE...]   (default: every test/**/*.test.ts but test/reliability/)
# Without S3_ENDPOINT it starts a throwaway Ceph S3 (test/support/ceph-s3.sh) under .test-tmp/, exports
# S3_* and CEPH_DIR for the tests, and always stops it on exit. With S3_ENDPOINT set (MinIO, AWS, ...)
# the given S3_* env is used as-is. NO_S3=1 skips S3 entirely (e.g. for unit-only runs).
# Exits with the node test runner's status.
set -euo pipefail
# Default: every test but the minutes-long ones in test/reliability/; `--reliability`: only those
# (scaled by RELIABILITY_SCALE, see the README's Reliability section).
RELIABILITY=0
[ "${1:-}" = --reliability ] && { RELIABILITY=1; shift; }
FILES=()
for f in "$@"; do FILES+=("$(realpath -e "$f")"); done   # given files, relative to the caller's cwd
cd "$(dirname "$0")/.."
TMP=$PWD/.test-tmp CEPH=$PWD/test/support/ceph-s3.sh
mkdir -p "$TMP"

if [ $RELIABILITY = 1 ]; then mapfile -t FILES < <(find test/reliability -name '*.test.ts' | sort)
elif [ $# -eq 0 ]; then mapfile -t FILES < <(find test -name '*.test.ts' -not -path 'test/reliability/*' | sort); fi
[ ${#FILES[@]} -gt 0 ] || { echo "run.sh: no test files found" >&2; exit 1; }

OWN_CEPH='' NODE_PID=''
cleanup() {
  local status=$?
  [ -n "$NODE_PID" ] && kill -TERM "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  [ -n "$OWN_CEPH" ] && { bash "$CEPH" stop "$OWN_CEPH" || echo "run.sh: stopping Ceph in $OWN_CEPH failed" >&2; }
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Clusters left by runners that died without cleanup (kill -9): stop them so their ports are free.
for d in "$TMP"/ceph-*; do
  [ -f "$d/runner.pid" ] || continue
  p=$(cat "$d/runner.pid")
  if [ -n "$p" ] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q 'run\.sh'; then continue; fi
  echo "run.sh: stopping stale cluster $d" >&2
  bash "$CEPH" stop "$d" || true
done

export S3_REGION=${S3_REGION:-us-east-1}
export S3_BUCKET=${S3_BUCKET:-station-files-test-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
if [ "${NO_S3:-0}" = 1 ]; then
  unset S3_ENDPOINT
elif [ -z "${S3_ENDPOINT:-}" ]; then
  OWN_CEPH=$(mktemp -d "$TMP/ceph-XXXXXX")
  echo $$ >"$OWN_CEPH/runner.pid"
  export S3_PORT=${S3_PORT:-7480} S3_ACCESS_KEY=${S3_ACCESS_KEY:-testaccess} S3_SECRET_KEY=${S3_SECRET_KEY:-testsecret}
  bash "$CEPH" start "$OWN_CEPH"
  export S3_ENDPOINT=http://127.0.0.1:$S3_PORT S3_ACCESS_KEY_ID=$S3_ACCESS_KEY S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY
  export S3_FORCE_PATH_STYLE=true
  # Fault tests: kill/restart the gateway with `radosgw -c $CEPH_DIR/ceph.conf -n client.rgw.a`
  # (pid in $CEPH_DIR/run/client.rgw.a.pid); see killRadosgw/restartRadosgw in test/support/s3.ts.
  export CEPH_DIR=$OWN_CEPH
fi
# The SDK warns once per process that Node 20 support ends in 2027; keep that out of every test's output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}
echo "run.sh: S3_ENDPOINT=${S3_ENDPOINT:-(none)} S3_BUCKET=$S3_BUCKET; ${#FILES[@]} test file(s)"

# In the background + wait, so INT/TERM reach the traps (and Ceph is stopped) even mid-run.
set +e
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${FILES[@]}" &
NODE_PID=$!
wait "$NODE_PID"
STATUS=$?
NODE_PID=''
exit "$STATUS"
