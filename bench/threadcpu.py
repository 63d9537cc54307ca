#!/usr/bin/env python3
"""Prints the CPU seconds a process has used since it started, as JSON fields: all of it, its JIT compiler threads,
its GC threads: threadcpu.py PID"""
import json, os, sys
pid, tick = sys.argv[1], os.sysconf("SC_CLK_TCK")
total = jit = gc = 0.0
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
    except OSError:
        continue
    name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
    seconds = (int(fields[11]) + int(fields[12])) / tick
    total += seconds
    if "CompilerThre" in name:
        jit += seconds
    elif name.startswith("GC Thread") or name.startswith("VM Thread"):
        gc += seconds
print(json.dumps({"process_cpu_s": round(total, 2), "jit_cpu_s": round(jit, 2), "gc_vm_cpu_s": round(gc, 2)})[1:-1])
