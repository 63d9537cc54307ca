#!/usr/bin/env python3
"""Prints target/bench-results.jsonl (or the files given) as a Markdown table, one row per scenario."""
import json, sys
files = sys.argv[1:] or ["target/bench-results.jsonl"]
rows = [json.loads(l) for f in files for l in open(f) if l.strip()]
def name(d):
    s = d.get("scenario", "hold")
    if s == "hold": return f"hold {d['connections']}"
    size = f"{d['subscribers']}" if s == "fanout" else f"{d['rooms']}x{d['subscribers'] // d['rooms']}"
    return f"{s} {size} @{d['rate']}"
print("| scenario | target | deliveries/s | lost | p50 ms | p99 ms | max ms | server CPU µs/delivery | server CPU s | client CPU s | RSS/conn KB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for d in sorted(rows, key=lambda d: (name(d), d["target"])):
    g = lambda k: d.get(k, "")
    print(f"| {name(d)} | {d['target']} | {g('deliveries_per_s')} | {g('lost')} | {g('latency_p50_ms')} | {g('latency_p99_ms')} | {g('latency_max_ms')} | {g('server_cpu_us_per_delivery')} | {g('server_cpu_s')} | {g('client_cpu_s')} | {g('server_rss_per_conn_kb')} |")
