#!/usr/bin/env bash
# Runs the capacity model's measurements (src/test/java/dev/herald/bench/Capacity.java): pods as separate JVMs, a
# redis-server of its own in clustered mode (or, with --redis-cluster 3, a Redis Cluster of its own), a Markdown table
# on stdout. See docs/capacity.md.
#   bench/capacity.sh embedded|clustered [--n 1000] [--k 100] [--pods 2] [--idle 1000] [--idle-seconds 60] [--runs 3]
#                     [--redis-cluster 3] [--spread 200]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -f target/bench.classpath ] || [ ! -f target/test-classes/dev/herald/bench/Capacity.class ] \
   || [ src/test/java/dev/herald/bench/Capacity.java -nt target/test-classes/dev/herald/bench/Capacity.class ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >&2
fi
exec "$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" dev.herald.bench.Capacity "$@"
