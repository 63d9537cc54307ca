#!/usr/bin/env bash
# The scenarios of issue 14 (docs/benchmarks.md, "Cheaper streams"): Herald as shipped, Herald as it was (JVM
# defaults, every stream through Helidon's routing) and Nchan, one target at a time, each scenario on a fresh
# server process where it says so. Appends one JSON line per run to target/bench-streams.jsonl.
# Usage: bench/streams.sh [target…]
#   targets: herald herald-before nchan           (hold 19,000; rooms 1000 × 10 at 500/s and at max; fanout 10k)
#            herald-redis herald-redis-before nchan-redis   (clustered fanout 1000 × 20 ev/s)
#   SCENARIOS="hold rooms500 roomsmax fanout10k" (the default: all of them) runs some of the embedded ones
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/bench-streams.jsonl}
source bench/lib.sh
targets=${*:-herald herald-before nchan herald-redis herald-redis-before nchan-redis}
SCENARIOS=${SCENARIOS:-hold rooms500 roomsmax fanout10k}
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
HERALD_SUB="http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN"
HERALD_PUB=(--publish http://127.0.0.1:8090/api/publish --publish-header "Authorization: Bearer $TOKEN"
            --publish-body '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}')
NCHAN_PUB=(--publish "http://127.0.0.1:PORT/pub/room{room}" --publish-body '{"seq":{seq},"sent":{sent}}')

herald_pod() { # target: starts a pod as the target runs it, prints its pid
  case $1 in
    *-before) HERALD_JVM_OPTIONS_FILE= HERALD_JAVA_OPTS="-Dherald.sse.direct-http1=false" bench/herald.sh 8090 ;;
    *) bench/herald.sh 8090 ;;
  esac
}

warm() { # args…: not recorded; a JIT-compiled server is measured with its hot paths compiled, Nchan gets the same:
  # as fast as it goes, then at the low per-stream rate of rooms at 500/s (whose profile differs: one event a wake-up)
  drain 8090
  settle
  timeout 600 bench/load.sh rooms "$@" --rooms 1000 --per-room 10 --events 20000 >/dev/null 2>&1
  timeout 600 bench/load.sh rooms "$@" --rooms 1000 --per-room 10 --events 3000 --rate 500 >/dev/null 2>&1
  timeout 600 bench/load.sh fanout "$@" --subscribers 1000 --events 1000 --rate 100 >/dev/null 2>&1
}

embedded() { # target sub pids-args publish-args…
  local target=$1 sub=$2; shift 2
  local common=(--subscribe "$sub" "$@")
  warm "${common[@]}"
  wanted rooms500 && run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 10000 --rate 500
  wanted roomsmax && run "$target" rooms "${common[@]}" --rooms 1000 --per-room 10 --events 40000
  wanted fanout10k && run "$target" fanout "${common[@]}" --subscribers 10000 --events 200
}

for target in $targets; do
  case $target in
    herald|herald-before)
      unset HERALD_REDIS_URL
      if wanted hold; then   # a fresh process: memory and connect cost as a new pod meets a reconnect storm
        pid=$(herald_pod $target)
        run $target hold --subscribe "$HERALD_SUB" "${HERALD_PUB[@]}" --server-pid $pid --connections 19000 --processes 2
        stop_pid $pid
      fi
      pid=$(herald_pod $target)
      embedded $target "$HERALD_SUB" --server-pid $pid "${HERALD_PUB[@]}"
      stop_pid $pid ;;
    herald-redis|herald-redis-before)
      redis_start; export HERALD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
      pid=$(herald_pod $target)
      warm --subscribe "$HERALD_SUB" --server-pid $pid "${HERALD_PUB[@]}"
      run $target fanout --subscribe "$HERALD_SUB" --server-pid $pid "${HERALD_PUB[@]}" --subscribers 1000 --events 400 --rate 20
      stop_pid $pid; redis_stop; unset HERALD_REDIS_URL ;;
    nchan|nchan-redis)
      conf=$PWD/bench/nchan/nchan.conf; port=8091
      if [ $target = nchan-redis ]; then
        redis_start; conf=/tmp/nchan-bench/nchan-redis.conf; port=8092
        sed "s/REDIS_PORT/$REDIS_PORT/" bench/nchan/nchan-redis.conf.template > $conf
      fi
      pub=("${NCHAN_PUB[@]//PORT/$port}")
      nginx -p /tmp/nchan-bench/ -c $conf; sleep 1
      pids=(); for p in $(pgrep -f "nginx: worker"); do pids+=(--server-pid "$p"); done
      if [ $target = nchan ]; then
        wanted hold && run $target hold --subscribe "http://127.0.0.1:$port/sub/room{room}" "${pub[@]}" "${pids[@]}" --connections 19000 --processes 2
        embedded $target "http://127.0.0.1:$port/sub/room{room}" "${pids[@]}" "${pub[@]}"
      else
        warm --subscribe "http://127.0.0.1:$port/sub/room{room}" "${pids[@]}" "${pub[@]}"
        run $target fanout --subscribe "http://127.0.0.1:$port/sub/room{room}" "${pids[@]}" "${pub[@]}" --subscribers 1000 --events 400 --rate 20
      fi
      nginx -p /tmp/nchan-bench/ -c $conf -s stop; sleep 1
      [ $target = nchan-redis ] && redis_stop ;;
  esac
done
