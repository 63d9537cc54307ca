#!/usr/bin/env bash
# What a job's progress report costs against a plain publish (src/test/java/dev/herald/bench/JobCost.java): pods as
# separate JVMs, a redis-server of its own in clustered mode, report and publish windows alternating in one run. One
# JSON line per window on stdout, then the report/publish ratios. See docs/capacity.md ("A job report against a publish").
#   bench/job-cost.sh embedded|clustered [--pairs 3] [--seconds 6] [--workers 8] [--warmup-seconds 8] [--pods 2]
#                     [--sequential-pairs 0]   (pairs with one worker after the saturated ones)
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -f target/bench.classpath ] || [ ! -f target/test-classes/dev/herald/bench/JobCost.class ] \
   || [ src/test/java/dev/herald/bench/JobCost.java -nt target/test-classes/dev/herald/bench/JobCost.class ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >&2
fi
exec "$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" dev.herald.bench.JobCost "$@"
