#!/usr/bin/env bash
# Runs Herald's load tool (src/test/java/dev/herald/bench/Load.java) against any SSE server. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -f target/bench.classpath ] || [ src/test/java/dev/herald/bench/Load.java -nt target/test-classes/dev/herald/bench/Load.class ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >&2
fi
exec "$JAVA_HOME/bin/java" -Xss256k -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" dev.herald.bench.Load "$@"
