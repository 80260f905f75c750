#!/bin/bash
# Installs the Debian packages the test suite needs, only those missing:
#   Ceph S3 (ceph-mon ceph-osd radosgw ceph-common), nginx with the headers-more module (the S3 hand-off
#   location of nginxConfig() clears x-amz-* headers with it), openssl (test CAs for the HTTPS S3 test),
#   curl, promtool (package prometheus: the metrics exposition test), the PostgreSQL server (throwaway
#   clusters for the shared-limit tests), and chromium (browser tests of the demo panel, driven by
#   playwright-core; no browser is ever downloaded by npm).
# Needs root when something is missing (otherwise prints the command to run and exits 1).
# Services are kept from starting during the install; the suite runs its own nginx/Ceph on other ports.
set -euo pipefail

# package:binary it provides (a package counts as present if dpkg says so or its binary is on PATH)
WANT=(ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw ceph-common:ceph nginx:nginx
  libnginx-mod-http-headers-more-filter:libnginx-mod-http-headers-more-filter curl:curl chromium:chromium openssl:openssl
  logrotate:logrotate prometheus:promtool postgresql:pg_ctlcluster)

have() {   # have PACKAGE BINARY
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ||
    PATH=$PATH:/usr/sbin:/sbin command -v "$2" >/dev/null
}

MISSING=()
for w in "${WANT[@]}"; do
  have "${w%%:*}" "${w#*:}" || MISSING+=("${w%%:*}")
done
if [ ${#MISSING[@]} -eq 0 ]; then
  echo "install-system-deps: all present (${WANT[*]%%:*})"
  exit 0
fi

INSTALL="apt-get install -y --no-install-recommends ${MISSING[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: missing Debian packages: ${MISSING[*]}" >&2
  echo "run as root:  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive $INSTALL" >&2
  exit 1
fi

# Keep package scripts from starting services (the system nginx would take port 80, Ceph units
# would start against /etc/ceph). Docker images already ship such a policy-rc.d; leave theirs alone.
POLICY=/usr/sbin/policy-rc.d
OUR_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# installed by test/install-system-deps.sh for the duration of the install\nexit 101\n' >"$POLICY"
  chmod +x "$POLICY"
  OUR_POLICY=1
fi
trap '[ "$OUR_POLICY" = 1 ] && rm -f "$POLICY"' EXIT

echo "install-system-deps: installing ${MISSING[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
$INSTALL

# Belt and braces: if a system nginx got started anyway, stop it (ours run on their own ports).
if [[ " ${MISSING[*]} " == *" nginx "* ]]; then
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
  elif [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
    /usr/sbin/nginx -s quit || true
  fi
fi
echo "install-system-deps: done"
