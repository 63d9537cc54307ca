#!/usr/bin/env python3
"""Prints target/bench-results.jsonl (or the files given) as Markdown tables: delivery scenarios, then hold runs."""
import json, sys
files = sys.argv[1:] or ["target/bench-results.jsonl"]
rows = [json.loads(l) for f in files for l in open(f) if l.strip()]
def name(d):
    s = d.get("scenario", "hold")
    if s == "hold": return f"hold {d['connections']}"
    size = f"{d['subscribers']}" if s == "fanout" else f"{d['rooms']}x{d['subscribers'] // d['rooms']}"
    return f"{s} {size} @{d['rate']}"
g = lambda d, k: d.get(k, "")
print("| scenario | target | deliveries/s | lost | p50 ms | p99 ms | max ms | server CPU µs/delivery | server CPU s | client CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for d in sorted((r for r in rows if r.get("scenario") != "hold"), key=lambda d: (name(d), d["target"])):
    print(f"| {name(d)} | {d['target']} | {g(d,'deliveries_per_s')} | {g(d,'lost')} | {g(d,'latency_p50_ms')} | {g(d,'latency_p99_ms')} | {g(d,'latency_max_ms')} | {g(d,'server_cpu_us_per_delivery')} | {g(d,'server_cpu_s')} | {g(d,'client_cpu_s')} |")
print()
print("| scenario | target | connect s | rejected, retried | one event to all s | server RSS MB | RSS/conn KB | server CPU s |")
print("|---|---|---|---|---|---|---|---|")
for d in sorted((r for r in rows if r.get("scenario") == "hold"), key=lambda d: (d["connections"], d["target"])):
    if "skipped" in d or "error" in d:
        print(f"| {name(d)} | {d['target']} | {d.get('skipped', d.get('error'))} | | | | | |")
        continue
    print(f"| {name(d)} | {d['target']} | {g(d,'connect_s')} | {g(d,'rejected')} | {g(d,'one_event_to_all_s')} | {g(d,'server_rss_mb')} | {g(d,'server_rss_per_conn_kb')} | {g(d,'server_cpu_s')} |")
