#!/usr/bin/env bash
# Compares two Herald builds in one run, alternating them so that drift on this shared machine hits both alike:
# fanout 1000 subscribers × 20 events/s and rooms 1000 × 10 (as fast as the publisher goes), embedded and clustered
# (a fresh Redis per pod). Each pod is warmed up first (not recorded). Odd rounds run "before" first, even rounds
# "after" first. Appends one JSON line per run to target/bench-pair.jsonl, "target": "<before|after>-<mode>".
# Usage: bench/pair.sh BEFORE.jar AFTER.jar [rounds]      (each jar with its libs/ beside it)
#   MODES="embedded clustered"  SCENARIOS="fanout rooms"  RUNS=1 (measured runs of each scenario per pod)
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
BEFORE=$1 AFTER=$2 ROUNDS=${3:-2}
MODES=${MODES:-embedded clustered} SCENARIOS=${SCENARIOS:-fanout rooms} RUNS=${RUNS:-1}
SECRET=bench-secret-bench-secret-bench-secret-0123
export BENCH_SECRET=$SECRET
TOKEN=$(python3 bench/token.py $SECRET)
OUT=target/bench-pair.jsonl
SUB="http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN"
COMMON=(--subscribe "$SUB" --publish "http://127.0.0.1:8090/api/publish" --publish-header "Authorization: Bearer $TOKEN"
        --publish-body '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}')

stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return; sleep 0.2; done; kill -9 "$1" 2>/dev/null; }

load() { timeout 900 bench/load.sh "$@" "${COMMON[@]}" --server-pid "$PID"; }

run() { # label scenario args…
  local label=$1; shift
  local line
  line=$(load "$@" 2>/dev/null | tail -1)
  [ -z "$line" ] && line='{"scenario":"'$1'","error":"no result"}'
  echo "{\"target\":\"$label\",${line#\{}" | tee -a $OUT
}

for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    order=("before:$BEFORE" "after:$AFTER")
    [ $((round % 2)) -eq 0 ] && order=("after:$AFTER" "before:$BEFORE")
    for pair in "${order[@]}"; do
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
      [[ " $SCENARIOS " == *" rooms "* ]] && load rooms --rooms 1000 --per-room 10 --events 20000 >/dev/null 2>&1
      [[ " $SCENARIOS " == *" fanout "* ]] && load fanout --subscribers 1000 --events 1000 --rate 100 >/dev/null 2>&1
      for _ in $(seq 1 "$RUNS"); do
        [[ " $SCENARIOS " == *" fanout "* ]] && run "$label" fanout --subscribers 1000 --events 400 --rate 20
        [[ " $SCENARIOS " == *" rooms "* ]] && run "$label" rooms --rooms 1000 --per-room 10 --events 40000
      done
      stop_pid "$PID"
      [ $mode = clustered ] && redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1
    done
  done
done
