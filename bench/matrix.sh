#!/usr/bin/env bash
# Runs the scenarios of docs/benchmarks.md against Herald (embedded, clustered) and Nchan (memory, Redis), one
# target at a time on this machine, appending one JSON line per run to target/bench-results.jsonl.
# Usage: bench/matrix.sh [target…]
#   targets: herald herald-redis nchan nchan-redis (the side-by-side scenarios, hold 30k included)
#            herald-19k herald-2x19k nchan-19k     (the memory runs: one pod at 19,000; two pods at 2 × 19,000)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench-results.jsonl
source bench/lib.sh
targets=${*:-herald herald-redis nchan nchan-redis herald-19k herald-2x19k nchan-19k}
HERALD_SUB='/api/events?channel=channel:room{room}&access_token='$TOKEN
HERALD_BODY='{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}'

scenarios() { # target sub-url pub-url pub-header pub-body pids…
  local target=$1 sub=$2 pub=$3 hdr=$4 body=$5; shift 5
  local pids=() p; for p in "$@"; do pids+=(--server-pid "$p"); done
  local common=(--subscribe "$sub" --publish "$pub" --publish-body "$body" "${pids[@]}")
  [ -n "$hdr" ] && common+=(--publish-header "$hdr")
  run "$target" hold "${common[@]}" --connections 10000 --processes 1
  # warm-up, not recorded: a JIT-compiled server is measured once its hot paths are compiled (steady state, as in
  # production); the same for every target
  drain 8090 8093
  timeout 600 bench/load.sh rooms "${common[@]}" --rooms 1000 --per-room 10 --events 20000 >/dev/null 2>&1
  timeout 600 bench/load.sh fanout "${common[@]}" --subscribers 1000 --events 1000 --rate 100 >/dev/null 2>&1
  run "$target" fanout "${common[@]}" --subscribers 1000 --events 2000
  run "$target" fanout "${common[@]}" --subscribers 1000 --events 400 --rate 20
  run "$target" fanout "${common[@]}" --subscribers 10000 --events 200
  run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 40000
  run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 10000 --rate 500
}

herald_auth="Authorization: Bearer $TOKEN"
for target in $targets; do
  case $target in
    herald|herald-redis)
      [ $target = herald-redis ] && { redis_start; export HERALD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT; } || unset HERALD_REDIS_URL
      pid=$(bench/herald.sh 8090)
      scenarios $target "http://127.0.0.1:8090$HERALD_SUB" "http://127.0.0.1:8090/api/publish" "$herald_auth" "$HERALD_BODY" $pid
      if [ $target = herald-redis ]; then
        # 30,000 streams need two processes here (20,000 open files each): two pods on one Redis, half each
        pid2=$(bench/herald.sh 8093)
        run $target hold --subscribe "http://127.0.0.1:8090$HERALD_SUB" --subscribe "http://127.0.0.1:8093$HERALD_SUB" \
          --publish "http://127.0.0.1:8090/api/publish" --publish-header "$herald_auth" --publish-body "$HERALD_BODY" \
          --server-pid $pid --server-pid $pid2 --connections 30000 --processes 2
        stop_pid $pid2
      else
        note $target '"scenario":"hold","connections":30000,"skipped":"embedded mode is one process, and one process may open 20,000 files here: see herald-redis (two pods)"'
      fi
      stop_pid $pid
      [ $target = herald-redis ] && redis_stop
      unset HERALD_REDIS_URL ;;
    herald-19k)
      unset HERALD_REDIS_URL
      pid=$(bench/herald.sh 8090)
      run $target hold --subscribe "http://127.0.0.1:8090$HERALD_SUB" --publish "http://127.0.0.1:8090/api/publish" \
        --publish-header "$herald_auth" --publish-body "$HERALD_BODY" --server-pid $pid --connections 19000 --processes 2
      stop_pid $pid ;;
    herald-2x19k)
      redis_start; export HERALD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
      pid=$(bench/herald.sh 8090)
      pid2=$(bench/herald.sh 8093)
      run $target hold --subscribe "http://127.0.0.1:8090$HERALD_SUB" --subscribe "http://127.0.0.1:8093$HERALD_SUB" \
        --publish "http://127.0.0.1:8090/api/publish" --publish-header "$herald_auth" --publish-body "$HERALD_BODY" \
        --server-pid $pid --server-pid $pid2 --connections 38000 --processes 2
      stop_pid $pid2; stop_pid $pid; redis_stop; unset HERALD_REDIS_URL ;;
    nchan|nchan-redis|nchan-19k)
      conf=$PWD/bench/nchan/nchan.conf; port=8091
      if [ $target = nchan-redis ]; then
        redis_start; conf=/tmp/nchan-bench/nchan-redis.conf; port=8092
        sed "s/REDIS_PORT/$REDIS_PORT/" bench/nchan/nchan-redis.conf.template > $conf
      fi
      nginx -p /tmp/nchan-bench/ -c $conf; sleep 1
      workers=$(pgrep -f "nginx: worker" | tr '\n' ' ')
      if [ $target = nchan-19k ]; then
        pids=(); for p in $workers; do pids+=(--server-pid "$p"); done
        run $target hold --subscribe "http://127.0.0.1:$port/sub/room{room}" --publish "http://127.0.0.1:$port/pub/room{room}" \
          --publish-body '{"seq":{seq},"sent":{sent}}' "${pids[@]}" --connections 19000 --processes 2
      else
        scenarios $target "http://127.0.0.1:$port/sub/room{room}" "http://127.0.0.1:$port/pub/room{room}" "" \
          '{"seq":{seq},"sent":{sent}}' $workers
        pids=(); for p in $workers; do pids+=(--server-pid "$p"); done
        run $target hold --subscribe "http://127.0.0.1:$port/sub/room{room}" --publish "http://127.0.0.1:$port/pub/room{room}" \
          --publish-body '{"seq":{seq},"sent":{sent}}' "${pids[@]}" --connections 30000 --processes 2
      fi
      nginx -p /tmp/nchan-bench/ -c $conf -s stop; sleep 1
      [ $target = nchan-redis ] && redis_stop ;;
  esac
done
