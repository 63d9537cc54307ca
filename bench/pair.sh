#!/usr/bin/env bash
# Compares two Herald builds in one run, alternating A B A B so that drift on this shared machine hits both alike:
# fanout 1000 subscribers × 20 events/s and rooms 1000 × 10, embedded and clustered (a fresh Redis per run).
# Appends one JSON line per run to target/bench-pair.jsonl with "target":"<label>-<mode>".
# Usage: bench/pair.sh BEFORE.jar AFTER.jar [rounds]   (labels: before, after; each jar with its libs/ beside it)
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
BEFORE=$1 AFTER=$2 ROUNDS=${3:-2}
SECRET=bench-secret-bench-secret-bench-secret-0123
export BENCH_SECRET=$SECRET
TOKEN=$(python3 bench/token.py $SECRET)
OUT=target/bench-pair.jsonl
SUB="http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN"
COMMON=(--subscribe "$SUB" --publish "http://127.0.0.1:8090/api/publish" --publish-header "Authorization: Bearer $TOKEN"
        --publish-body '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}')

stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return; sleep 0.2; done; kill -9 "$1" 2>/dev/null; }

run() { # label scenario args…
  local label=$1; shift
  local line
  line=$(timeout 900 bench/load.sh "$@" "${COMMON[@]}" --server-pid "$PID" 2>/dev/null | tail -1)
  [ -z "$line" ] && line='{"scenario":"'$1'","error":"no result"}'
  echo "{\"target\":\"$label\",${line#\{}" | tee -a $OUT
}

for round in $(seq 1 "$ROUNDS"); do
  for mode in embedded clustered; do
    for pair in "before:$BEFORE" "after:$AFTER"; do
      label=${pair%%:*}-$mode jar=${pair#*:}
      if [ $mode = clustered ]; then
        REDIS_PORT=$((20000 + RANDOM % 10000))
        redis-server --port $REDIS_PORT --save "" --appendonly no --daemonize yes --logfile /tmp/bench-pair-redis.log >/dev/null
        sleep 0.5
        export HERALD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
      else
        unset HERALD_REDIS_URL
      fi
      PID=$(HERALD_JAR=$jar bench/herald.sh 8090)
      # warm-up, not recorded: the hot paths compiled, as in production
      timeout 600 bench/load.sh rooms "${COMMON[@]}" --server-pid "$PID" --rooms 1000 --per-room 10 --events 20000 >/dev/null 2>&1
      timeout 600 bench/load.sh fanout "${COMMON[@]}" --server-pid "$PID" --subscribers 1000 --events 1000 --rate 100 >/dev/null 2>&1
      run "$label" fanout --subscribers 1000 --events 400 --rate 20
      run "$label" rooms --rooms 1000 --per-room 10 --events 40000
      stop_pid "$PID"
      [ $mode = clustered ] && redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1
    done
  done
done
