#!/usr/bin/env bash
# Where a server's CPU goes: samples the process with perf for SECONDS and prints the share of each part
# (kernel, JIT-compiled Java by package, the JVM's virtual-thread machinery, compiler threads, GC, …).
# Usage: bench/profile.sh PID SECONDS [label]      (run it while bench/load.sh drives the server)
# Java symbols come from the JVM's perf map (jcmd PID Compiler.perfmap); other processes (nginx) need none.
set -euo pipefail
PID=$1; SECONDS_=${2:-10}; LABEL=${3:-$PID}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
DATA=$(mktemp /tmp/profile.XXXXXX.data)
perf record -F 999 -p "$PID" -o "$DATA" -- sleep "$SECONDS_" >/dev/null 2>&1
if grep -q java "/proc/$PID/cmdline" 2>/dev/null; then
  "$JAVA_HOME/bin/jcmd" "$PID" Compiler.perfmap >/dev/null
fi
perf report -i "$DATA" --no-children --sort comm,dso,sym --stdio -g none 2>/dev/null | python3 -c '
import re, sys
label = sys.argv[1]
parts = {}
def add(k, v): parts[k] = parts.get(k, 0.0) + v
for line in sys.stdin:
    m = re.match(r"\s+([\d.]+)%\s+(.+?)\s{2,}(\S.*?)\s{2,}\[(.)\]\s+(.*)$", line)
    if not m: continue
    pct, comm, dso, kind, sym = float(m[1]), m[2], m[3], m[4], m[5]
    if comm.startswith(("C2 Compiler", "C1 Compiler")): add("JIT compiler threads", pct)
    elif comm.startswith(("GC Thread", "G1 ", "VM Thread")): add("GC and VM threads", pct)
    elif kind == "k":
        if re.search(r"tcp|inet|ip_|skb|sock|dev_|net|loopback|__sys_|softirq|xmit", sym): add("kernel: TCP/IP, sockets", pct)
        elif re.search(r"futex|sched|wake|switch|epoll|hrtimer|spin_unlock_irq", sym): add("kernel: futex, scheduler, epoll", pct)
        else: add("kernel: other (syscall entry, vfs, memory)", pct)
    elif "Interpreter" in sym: add("interpreted Java", pct)
    elif re.search(r"Continuation|Freeze|Thaw|StackChunk|VirtualThread|ForkJoin|LockSupport|continuationstubs|Unsafe.(un)?park", sym): add("virtual threads: continuations, scheduler, park/unpark", pct)
    elif "dev.herald" in sym: add("Herald code", pct)
    elif "io.helidon" in sym: add("Helidon (HTTP, routing, output streams)", pct)
    elif "io.micrometer" in sym: add("Micrometer metrics", pct)
    elif "jackson" in sym: add("Jackson JSON", pct)
    elif re.search(r"java\.util\.concurrent", sym): add("java.util.concurrent (locks, queues, maps)", pct)
    elif re.search(r"java\.|jdk\.|sun\.", sym): add("JDK other (I/O streams, collections, strings)", pct)
    elif "libjvm" in dso: add("JVM runtime other (allocation, barriers, stubs)", pct)
    elif "nginx" in dso or "nchan" in dso: add("nginx/Nchan code", pct)
    else: add("other user space (" + dso.strip() + ")", pct)
total = sum(parts.values())
print(f"profile of {label}: {total:.1f}% of samples classified")
for k, v in sorted(parts.items(), key=lambda kv: -kv[1]):
    print(f"  {v:5.1f}%  {k}")
' "$LABEL"
[ -n "${KEEP:-}" ] && echo "perf data: $DATA" || rm -f "$DATA"
