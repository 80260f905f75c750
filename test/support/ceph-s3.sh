#!/bin/bash
# Throwaway single-node Ceph S3 (1 mon, no mgr, 1 OSD, radosgw/beast) for tests; cephx off, loopback only.
#   test/support/ceph-s3.sh start DIR   # everything lives in DIR (must not already hold a cluster)
#   test/support/ceph-s3.sh stop DIR    # stop daemons by pid file (SIGKILL fallback), then rm -rf DIR (KEEP=1 keeps it)
# Env: S3_PORT (7480), S3_ACCESS_KEY (testaccess), S3_SECRET_KEY (testsecret), OSD_STORE (bluestore|memstore),
#      OSD_FILE_BYTES (20 GiB sparse, bluestore), OSD_MEM_BYTES (8 GiB cap, memstore),
#      CEPH_MON_PORT (3300, msgr2), CEPH_MON_V1_PORT (6789, msgr1).
# Restart radosgw alone (fault tests): radosgw -c DIR/ceph.conf -n client.rgw.a ; pid in DIR/run/client.rgw.a.pid
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1 D=$(realpath -m "$2") C=$(realpath -m "$2")/ceph.conf
DAEMONS=(client.rgw.a osd.0 mon.a)   # stop order: gateway first, monitor last

alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }   # a zombie counts as gone

stop_cluster() {
  local n p i bin
  for n in "${DAEMONS[@]}"; do   # order matters: a gateway/OSD whose monitor is gone hangs on SIGTERM
    case $n in client.rgw.*) bin=radosgw ;; osd.*) bin=ceph-osd ;; *) bin=ceph-mon ;; esac
    # The pid file, plus (for lost pid files) daemons whose command line names this cluster's conf.
    for p in $(cat "$D/run/$n.pid" 2>/dev/null) $(pgrep -f -- "^$bin -c $C " || true); do
      # Only signal live processes that really are ours (pid reuse guard).
      alive "$p" && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "-c $C " || continue
      kill -TERM "$p" 2>/dev/null || continue
      for i in $(seq 50); do alive "$p" || break; sleep 0.1; done
      alive "$p" && { echo "ceph-s3: $n (pid $p) ignored SIGTERM; sending SIGKILL" >&2; kill -KILL "$p" 2>/dev/null || true; }
    done
  done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$D"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fail() { echo "ceph-s3: $*" >&2; exit 1; }

start_cluster() {
  local PORT=${S3_PORT:-7480} AK=${S3_ACCESS_KEY:-testaccess} SK=${S3_SECRET_KEY:-testsecret}
  local MON2=${CEPH_MON_PORT:-3300} MON1=${CEPH_MON_V1_PORT:-6789} T0 b p i
  T0=$(date +%s.%N)
  for b in monmaptool:ceph-base ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw ceph:ceph-common \
           radosgw-admin:ceph-common curl:curl; do
    command -v "${b%%:*}" >/dev/null ||
      fail "'${b%%:*}' not found (Debian package ${b#*:}); run: sudo bash test/install-system-deps.sh"
  done
  [ -e "$C" ] && fail "$D already holds a cluster; run '$0 stop $D' first"
  for p in "$PORT" "$MON2" "$MON1"; do
    if port_busy "$p"; then fail "port 127.0.0.1:$p is already in use (a leftover Ceph from an earlier run?). \
Stop it ('$0 stop OLD_DIR', or kill the pid shown by 'ss -ltnp sport = :$p'), or choose other ports \
via S3_PORT / CEPH_MON_PORT / CEPH_MON_V1_PORT"; fi
  done
  mkdir -p "$D"/{mon.a,osd.0,log,run,crash,rgw}
  local FSID MONADDR="[v2:127.0.0.1:$MON2,v1:127.0.0.1:$MON1]"
  FSID=$(cat /proc/sys/kernel/random/uuid)
  cat >"$C" <<EOF
[global]
fsid = $FSID
mon host = $MONADDR
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
crash dir = $D/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
[mon]
mon data = $D/mon.\$id
# default 1 s per map change; 0.05 makes radosgw's pool creation ~10x faster
paxos propose interval = 0.05
mon cluster log file = $D/log/cluster.log
[osd]
osd data = $D/osd.\$id
$(if [ "${OSD_STORE:-bluestore}" = memstore ]; then
    echo "osd objectstore = memstore"; echo "memstore device bytes = ${OSD_MEM_BYTES:-8589934592}"
  else
    echo "osd objectstore = bluestore"; echo "bluestore block create = true"
    echo "bluestore block size = ${OSD_FILE_BYTES:-21474836480}"
    echo "osd memory target = 1073741824"; echo "bluestore fsck on mkfs = false"
  fi)
[client.rgw.a]
# tcp_nodelay: without it beast sends a small body ~40 ms after its headers (Nagle against the
# client's delayed ACK), so every small range (a podcast app's bytes=0-1 probe) took ~40 ms more.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
# radosgw defaults to 'secure', impossible with auth none
ms mon client mode = crc
EOF
  # From here on, a failure stops whatever did start (keeping DIR for its logs).
  STARTED=0
  trap '[ "$STARTED" = 1 ] || { echo "ceph-s3: start failed; logs in $D/log" >&2; KEEP=1 stop_cluster; }' EXIT
  monmaptool --create --fsid "$FSID" --addv a "$MONADDR" "$D/monmap" >/dev/null
  ceph-mon -c "$C" -i a --mkfs --monmap "$D/monmap"
  ceph-mon -c "$C" -i a
  local OSD_UUID ID
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  ID=$(ceph -c "$C" --connect-timeout 30 osd new "$OSD_UUID")
  ceph-osd -c "$C" -i "$ID" --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd-mkfs.log" 2>&1
  ceph-osd -c "$C" -i "$ID" 2>>"$D/log/osd-start.log"
  radosgw -c "$C" -n client.rgw.a
  radosgw-admin -c "$C" -n client.admin user create --uid test --display-name test \
    --access-key "$AK" --secret-key "$SK" >"$D/user.json"
  for i in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 200 ] && break
    if [ -s "$D/run/client.rgw.a.pid" ] && ! alive "$(cat "$D/run/client.rgw.a.pid")"; then
      i=600; break   # radosgw died (e.g. could not bind the port)
    fi
    sleep 0.1
  done
  if [ "$i" = 600 ]; then fail "radosgw not answering on :$PORT; see $D/log/client.rgw.a.log"; fi
  STARTED=1
  echo "ceph-s3: S3 ready at http://127.0.0.1:$PORT (access=$AK) in $D after" \
    "$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$T0}")s"
}

case $CMD in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
