#!/usr/bin/env bash
# Kshaka launcher.
#   ./run.sh                     build if needed, run a 3-node cluster on this machine until Ctrl-C
#   ./run.sh secure              the same with HTTPS, mutual TLS on the event bus, a cluster secret and tokens
#                                (credentials made once under conf/secure; docs/security.md)
#   ./run.sh node CONF.json      run one node in the foreground (exec: the JVM gets this PID)
#   ./run.sh config CONF.json    print the configuration a node would run with (file + KSHAKA_* env + -Dkshaka.*)
#   ./run.sh check HISTORY.jsonl check a history for linearizability
#   ./run.sh bench [options]     benchmark a running cluster (--help for options)
#   ./run.sh admin status|add ID|remove ID|replace ID [--node URL] [--wait] [--json]
#                                membership of a running cluster (--help for options)
#   ./run.sh secret > FILE       write a new random cluster secret (for cluster.secretFile)
#   ./run.sh token --role R --name N
#                                a new bearer token (read|write|admin) and its line for the tokens file
#   ./run.sh kv get|put|cas|create|delete|add|list|watch ...   keys of a running cluster (docs/cli.md)
#   ./run.sh certs DIR [NODES]   make a test CA and node certificates with openssl (docs/security.md)
set -euo pipefail
cd "$(dirname "$0")"

JAR_GLOB="target/kshaka-*-all.jar"
HZ_FLAGS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens java.management/sun.management=ALL-UNNAMED \
--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
JAVA_OPTS="${KSHAKA_JAVA_OPTS:--Xms128m -Xmx1g -XX:+UseSerialGC}"
# Nodes only: smaller C2 compilations. A fresh node reaches full speed in about half the time (its compiler
# competes with serving on a small machine) at no cost measured at full speed; KSHAKA_JIT_OPTS= (empty) turns it off.
NODE_JIT_OPTS="${KSHAKA_JIT_OPTS--XX:InlineSmallCode=1000 -XX:MaxInlineLevel=6 -XX:FreqInlineSize=100}"

jar_path() { ls $JAR_GLOB 2>/dev/null | head -n 1 || true; }

CDS_ARCHIVE=target/kshaka.jsa

stale_jar() {
  local jar; jar=$(jar_path)
  [ -z "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -type f 2>/dev/null | head -n 1)" ]
}

stale_archive() {
  [ "${KSHAKA_CDS:-on}" != off ] && [ ! "$CDS_ARCHIVE" -nt "$(jar_path)" ] && [ ! "$CDS_ARCHIVE.failed" -nt "$(jar_path)" ]
}

# Builds the jar when src/main or pom.xml changed, then its class-data sharing archive (KSHAKA_CDS=off: none): made
# once per build by a short training run (a one-node cluster driven by the bench, about 15 s) and mapped by every JVM
# this script starts, which then skips loading and verifying some 10,000 classes. One builder at a time: three nodes
# started at once wait for the first one's build.
build_if_needed() {
  stale_jar || stale_archive || return 0
  mkdir -p target
  (
    flock 9
    if stale_jar; then
      echo "building $JAR_GLOB ..." >&2
      mvn -B -q -DskipTests package >&2
    fi
    stale_archive || exit 0
    local jar; jar=$(jar_path)
    echo "making the class-data sharing archive $CDS_ARCHIVE (once per build) ..." >&2
    rm -f "$CDS_ARCHIVE"
    # shellcheck disable=SC2086
    java $HZ_FLAGS -Xmx1g -XX:+UseSerialGC -XX:ArchiveClassesAtExit="$CDS_ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=off \
      -Dlogback.configurationFile=conf/logback.xml -Dhazelcast.logging.type=slf4j -jar "$jar" cds-train \
      >target/cds-training.log 2>&1 \
      || { echo "could not make $CDS_ARCHIVE (see target/cds-training.log); going on without it" >&2
           rm -f "$CDS_ARCHIVE"; touch "$CDS_ARCHIVE.failed"; }
  ) 9>target/.build.lock
}

cds_flags() {
  if [ "${KSHAKA_CDS:-on}" != off ] && [ "$CDS_ARCHIVE" -nt "$(jar_path)" ]; then
    echo "-XX:SharedArchiveFile=$CDS_ARCHIVE -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
}

java_cmd() {
  build_if_needed
  # shellcheck disable=SC2086
  exec java $HZ_FLAGS $JAVA_OPTS $(cds_flags) -Dlogback.configurationFile=conf/logback.xml \
    -Dhazelcast.logging.type=slf4j -jar "$(jar_path)" "$@"
}

cluster() {
  local conf="${1:-conf}" scheme="${2:-http}" curl_tls=()
  build_if_needed
  mkdir -p logs data
  [ "$scheme" = https ] && curl_tls=(--cacert "$conf/certs/ca.pem")
  local pids=()
  stop_all() {
    trap - INT TERM EXIT
    echo "stopping nodes: ${pids[*]}" >&2
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  }
  trap stop_all INT TERM EXIT
  for i in 1 2 3; do
    "$0" node "$conf/node-$i.json" >"logs/node-$i.log" 2>&1 &
    pids+=($!)
    echo "node $i: pid $! $scheme://127.0.0.1:808$i (log: logs/node-$i.log)" >&2
  done
  local deadline=$((SECONDS + 120))
  for i in 1 2 3; do
    until curl -sf "${curl_tls[@]}" "$scheme://127.0.0.1:808$i/ready" >/dev/null 2>&1; do
      if [ $SECONDS -ge $deadline ]; then echo "node $i not ready after 120 s; see logs/node-$i.log" >&2; exit 1; fi
      if ! kill -0 "${pids[$((i-1))]}" 2>/dev/null; then echo "node $i exited; see logs/node-$i.log" >&2; exit 1; fi
      sleep 0.2
    done
  done
  echo "cluster ready: $scheme://127.0.0.1:8081 $scheme://127.0.0.1:8082 $scheme://127.0.0.1:8083 (Ctrl-C stops all three)" >&2
  wait
}

# The credentials of the secure cluster (conf/secure), made once: a test CA with a certificate for each node and one
# for your own application (conf/secure/certs), the cluster secret, and a token per role (conf/secure/tokens.json;
# the tokens themselves in conf/secure/<role>.token, readable by you only). Delete them to start over.
secure_setup() {
  local dir=conf/secure
  build_if_needed
  conf/make-certs.sh "$dir/certs" node-1,node-2,node-3,app 2>/dev/null # app: for your own application
  if [ ! -f "$dir/secret" ]; then (umask 077; "$0" secret > "$dir/secret"); fi
  if [ ! -f "$dir/tokens.json" ]; then
    local entries=() role out
    for role in admin write read; do
      out=$("$0" token --role "$role" --name "$role" 2>/dev/null)
      (umask 077; printf '%s\n' "$(sed -n 1p <<<"$out")" > "$dir/$role.token")
      entries+=("$(sed -n 2p <<<"$out")")
    done
    (umask 077; printf '{"tokens": [%s]}\n' "$(IFS=,; echo "${entries[*]}")" > "$dir/tokens.json")
    echo "tokens: $dir/admin.token, $dir/write.token, $dir/read.token (e.g. export KSHAKA_TOKEN=\$(cat $dir/admin.token))" >&2
  fi
}

case "${1:-}" in
  "") cluster ;;
  secure) secure_setup; cluster conf/secure https ;;
  node) JAVA_OPTS="$JAVA_OPTS $NODE_JIT_OPTS"; java_cmd "$@" ;;
  config|check|bench|admin|token|secret|kv) java_cmd "$@" ;;
  certs) shift; exec conf/make-certs.sh "$@" ;;
  *) echo "usage: ./run.sh [node CONF.json | config CONF.json | check HISTORY.jsonl | bench [options] | admin status|add|remove|replace ID | token --role R --name N | secret | certs DIR | kv get|put|cas|create|delete|add|list|watch]" >&2; exit 2 ;;
esac
