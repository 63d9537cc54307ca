#!/usr/bin/env bash
# Makes an AOT cache (Java 25: JEP 483 classes loaded and linked, JEP 515 method profiles, JEP 514 one step) for
# target/herald.jar from a training run that does what a pod does: a few thousand streams connect, hold and leave,
# events reach one channel's many subscribers and many small rooms, heartbeats go out; then the pod is stopped
# gracefully (SIGTERM) and the JVM writes the cache as it exits. The training pod runs with config/jvm.options, as
# the pod that will use the cache must (a cache made with other GC or header options is not used).
# Usage: bench/aot-train.sh [cache]      (default target/herald.aot)
# Measured in docs/benchmarks.md ("One event to all, and connecting: the JIT on a fresh pod").
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
CACHE=${1:-target/herald.aot}
SECRET=bench-secret-bench-secret-bench-secret-0123
export BENCH_SECRET=$SECRET
TOKEN=$(python3 bench/token.py $SECRET)
SUB="http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN"
PUB=(--publish http://127.0.0.1:8090/api/publish --publish-header "Authorization: Bearer $TOKEN"
     --publish-body '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}')
rm -f "$CACHE"
# heartbeats every 2 s, so that the held streams send some during training
PID=$(BENCH_HEARTBEAT=PT2S HERALD_JAVA_OPTS="-XX:AOTCacheOutput=$CACHE ${HERALD_JAVA_OPTS:-}" bench/herald.sh 8090)
trap 'kill -9 $PID 2>/dev/null || true' EXIT
load() { timeout 300 bench/load.sh "$@" --subscribe "$SUB" "${PUB[@]}" --server-pid "$PID" | tail -1; }
load hold --connections 3000 --processes 2 --hold-seconds 5       # a connect storm, heartbeats, one event to all, leave
load fanout --subscribers 500 --events 500 --rate 100
load rooms --rooms 200 --per-room 10 --events 4000
load rooms --rooms 200 --per-room 10 --events 1000 --rate 200       # one event a wake-up
load hold --connections 2000 --processes 1                         # connects again on the warm pod
kill -TERM "$PID"
for _ in $(seq 1 600); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
trap - EXIT
grep -i "aot" "target/bench-herald-8090.log" | tail -5 >&2
[ -s "$CACHE" ] || { echo "no AOT cache written: see target/bench-herald-8090.log" >&2; exit 1; }
ls -l "$CACHE"
