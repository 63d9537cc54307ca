#!/usr/bin/env bash
# Runs the scenarios of docs/benchmarks.md against Herald (embedded, clustered) and Nchan (memory, Redis), one
# target at a time on this machine, appending one JSON line per run to target/bench-results.jsonl.
# Usage: bench/matrix.sh [target…]   targets: herald herald-redis nchan nchan-redis (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SECRET=bench-secret-bench-secret-bench-secret-0123
export BENCH_SECRET=$SECRET
TOKEN=$(python3 bench/token.py $SECRET)
OUT=target/bench-results.jsonl
mkdir -p target /tmp/nchan-bench/tmp
targets=${*:-herald herald-redis nchan nchan-redis}

redis_start() { REDIS_PORT=$((20000 + RANDOM % 10000)); redis-server --port $REDIS_PORT --save "" --appendonly no --daemonize yes --logfile /tmp/bench-redis.log >/dev/null; sleep 0.5; }
redis_stop() { redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1; }

drain() { # waits until a Herald pod on 8090 holds no stream (closed streams are noticed at the next heartbeat)
  for _ in $(seq 1 150); do
    n=$(curl -s localhost:8090/observe/metrics 2>/dev/null | grep '^sse_connections_total' | awk '{print $2}')
    [ -z "$n" ] && return; [ "${n%.*}" = "0" ] && return; sleep 0.2
  done
}

run() { # target scenario args…
  local target=$1; shift
  drain
  local line
  line=$(timeout 600 bench/load.sh "$@" 2>/dev/null | tail -1)
  echo "{\"target\":\"$target\",${line#\{}" | tee -a $OUT
}

scenarios() { # target sub-url pub-url pub-header pub-body pids…
  local target=$1 sub=$2 pub=$3 hdr=$4 body=$5; shift 5
  local pids=() p; for p in "$@"; do pids+=(--server-pid "$p"); done
  local common=(--subscribe "$sub" --publish "$pub" --publish-body "$body" "${pids[@]}")
  [ -n "$hdr" ] && common+=(--publish-header "$hdr")
  run "$target" hold "${common[@]}" --connections 10000 --processes 1
  run "$target" fanout "${common[@]}" --subscribers 1000 --events 2000
  run "$target" fanout "${common[@]}" --subscribers 1000 --events 400 --rate 20
  run "$target" fanout "${common[@]}" --subscribers 10000 --events 200
  run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 20000
  run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 5000 --rate 500
}

for target in $targets; do
  case $target in
    herald|herald-redis)
      [ $target = herald-redis ] && { redis_start; export HERALD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT; } || unset HERALD_REDIS_URL
      pid=$(bench/herald.sh 8090)
      scenarios $target "http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN" \
        "http://127.0.0.1:8090/api/publish" "Authorization: Bearer $TOKEN" \
        '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}' $pid
      kill $pid; wait $pid 2>/dev/null
      [ $target = herald-redis ] && redis_stop
      unset HERALD_REDIS_URL ;;
    nchan|nchan-redis)
      conf=$PWD/bench/nchan/nchan.conf; port=8091
      if [ $target = nchan-redis ]; then
        redis_start; conf=/tmp/nchan-bench/nchan-redis.conf; port=8092
        sed "s/REDIS_PORT/$REDIS_PORT/" bench/nchan/nchan-redis.conf.template > $conf
      fi
      nginx -p /tmp/nchan-bench/ -c $conf; sleep 1
      workers=$(pgrep -f "nginx: worker" | tr '\n' ' ')
      scenarios $target "http://127.0.0.1:$port/sub/room{room}" "http://127.0.0.1:$port/pub/room{room}" "" \
        '{"seq":{seq},"sent":{sent}}' $workers
      nginx -p /tmp/nchan-bench/ -c $conf -s stop; sleep 1
      [ $target = nchan-redis ] && redis_stop ;;
  esac
done
