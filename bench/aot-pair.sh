#!/usr/bin/env bash
# A fresh pod meeting a reconnect storm, with and without the AOT cache bench/aot-train.sh makes, alternating (odd
# rounds without first, even rounds with first) so that drift on this shared machine hits both alike. Each run is
# the hold scenario of bench/streams.sh on a new process: server CPU to connect 19,000 streams and send them one
# event, the time for that event to reach all, RSS per stream; plus the time from launching the JVM to "Herald
# listening" and the RSS and CPU then, and at the end the CPU the process used since it started: all of it,
# its JIT compiler threads, its GC and VM threads (bench/threadcpu.py). Appends one JSON line per run to target/bench-aot-pair.jsonl, "target": aot|no-aot.
# Usage: bench/aot-pair.sh [rounds] [cache]      (default 3 rounds, target/herald.aot; the cache must exist)
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3} CACHE=${2:-target/herald.aot}
OUT=${OUT:-target/bench-aot-pair.jsonl}
source bench/lib.sh
[ -s "$CACHE" ] || { echo "no AOT cache at $CACHE: run bench/aot-train.sh first" >&2; exit 1; }
SUB="http://127.0.0.1:8090/api/events?channel=channel:room{room}&access_token=$TOKEN"
PUB=(--publish http://127.0.0.1:8090/api/publish --publish-header "Authorization: Bearer $TOKEN"
     --publish-body '{"channel":"channel:room{room}","type":"bench","seq":{seq},"sent":{sent}}')

for round in $(seq 1 "$ROUNDS"); do
  order=(no-aot aot); [ $((round % 2)) -eq 0 ] && order=(aot no-aot)
  for target in "${order[@]}"; do
    drain 8090; settle
    # -XX:AOTMode=on: a cache the JVM cannot use (another jar, other options) fails the start instead of being ignored
    opts=""; [ $target = aot ] && opts="-XX:AOTCache=$CACHE -XX:AOTMode=on"
    t0=$(date +%s%N)
    pid=$(HERALD_JAVA_OPTS="$opts ${HERALD_JAVA_OPTS:-}" bench/herald.sh 8090) || { note $target '"error":"no start"'; continue; }
    startup=$(( ($(date +%s%N) - t0) / 1000000 ))
    rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
    started=$(python3 bench/threadcpu.py $pid | sed 's/"\([a-z_]*\)":/"startup_\1":/g')
    line=$(timeout 900 bench/load.sh hold --subscribe "$SUB" "${PUB[@]}" --server-pid $pid --connections 19000 --processes 2 2>/dev/null | tail -1)
    [ -z "$line" ] && line='{"scenario":"hold","error":"no result (see bench/load.sh output)"}'
    echo "{\"target\":\"$target\",\"round\":$round,\"startup_ms\":$startup,\"startup_rss_mb\":$rss,$started,$(python3 bench/threadcpu.py $pid),${line#\{}" | tee -a $OUT
    stop_pid $pid
  done
done
