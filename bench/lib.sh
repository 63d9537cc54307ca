# Shared by bench/matrix.sh and bench/streams.sh (sourced from the checkout's root): the Java and token they use,
# Redis and pod lifecycle, one recorded run. Expects OUT (the JSON-lines file results are appended to).

export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SECRET=bench-secret-bench-secret-bench-secret-0123
export BENCH_SECRET=$SECRET
TOKEN=$(python3 bench/token.py $SECRET)
mkdir -p target /tmp/nchan-bench/tmp

redis_start() {
  REDIS_PORT=$((20000 + RANDOM % 10000))
  redis-server --port $REDIS_PORT --save "" --appendonly no --daemonize yes --logfile /tmp/bench-redis.log >/dev/null
  for _ in $(seq 1 50); do [ "$(redis-cli -p $REDIS_PORT ping 2>/dev/null)" = PONG ] && return; sleep 0.1; done
}
redis_stop() { redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1; }

drain() { # waits until the Herald pods on the given ports hold no stream (closed streams are noticed at the next heartbeat)
  local port n
  for port in "$@"; do
    for _ in $(seq 1 300); do
      n=$(curl -s localhost:$port/observe/metrics 2>/dev/null | grep '^sse_connections_total' | awk '{print $2}')
      [ -z "$n" ] && break; [ "${n%.*}" = "0" ] && break; sleep 0.2
    done
  done
}

settle() { # waits (up to 90 s) for the client sockets of earlier runs to leave TIME_WAIT: their ports are reused
  for _ in $(seq 1 90); do [ "$(ss -Htan state time-wait | wc -l)" -lt 5000 ] && return; sleep 1; done
}

stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return; sleep 0.2; done; kill -9 "$1" 2>/dev/null; }

run() { # target scenario args…
  local target=$1; shift
  drain 8090 8093
  settle
  local line
  line=$(timeout 900 bench/load.sh "$@" 2>/dev/null | tail -1)
  [ -z "$line" ] && line='{"scenario":"'$1'","error":"no result (see bench/load.sh output)"}'
  echo "{\"target\":\"$target\",${line#\{}" | tee -a $OUT
}

note() { # target json-fields: a scenario that cannot run, with the reason
  echo "{\"target\":\"$1\",$2}" | tee -a $OUT
}

