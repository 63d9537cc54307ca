#!/usr/bin/env bash
# Starts a Herald pod for benchmarks on port $1 (embedded, or clustered when HERALD_REDIS_URL is set), printing its
# pid. Connection caps (up to what 20,000 open files allow) and rate limits are lifted: the benchmarks measure delivery, not the limits. HERALD_JAR names
# another build to run (bench/pair.sh compares two), default target/herald.jar. The JVM options are the ones the
# Dockerfile ships (config/jvm.options); HERALD_JVM_OPTIONS_FILE= (empty) runs with the JVM's defaults instead, and
# HERALD_JAVA_OPTS adds options. The heartbeat is Herald's default (15 s) unless BENCH_HEARTBEAT says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
PORT=${1:-8090}
OPTIONS_FILE=${HERALD_JVM_OPTIONS_FILE-config/jvm.options}
SERVER_PORT=$PORT HERALD_JWT_SECRET=${BENCH_SECRET:-bench-secret-bench-secret-bench-secret-0123} HERALD_DEV_MODE=false \
  nohup "$JAVA_HOME/bin/java" ${OPTIONS_FILE:+@$OPTIONS_FILE} ${HERALD_JAVA_OPTS:-} -Dherald.pod-id=bench-$PORT \
  -Dherald.access-log=false -Dherald.sse.heartbeat=${BENCH_HEARTBEAT:-PT15S} \
  -Dherald.sse.max-connections=${BENCH_MAX_CONNECTIONS:-19600} -Dherald.sse.max-connections-per-user=1000000 \
  -Dherald.rate.channel.per-second=100000000 -Dherald.rate.channel.burst=100000000 \
  -jar "${HERALD_JAR:-target/herald.jar}" > "target/bench-herald-$PORT.log" 2>&1 &
echo $!
for _ in $(seq 1 1500); do grep -q "Herald listening" "target/bench-herald-$PORT.log" 2>/dev/null && exit 0; sleep 0.02; done
echo "Herald did not start: $(cat target/bench-herald-$PORT.log)" >&2; exit 1
