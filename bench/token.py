#!/usr/bin/env python3
"""Prints an HS256 service token for benchmarks: token.py SECRET [sub] [roles]"""
import base64, hashlib, hmac, json, sys, time
secret, sub = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "bench")
roles = sys.argv[3].split(",") if len(sys.argv) > 3 else ["service"]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": sub, "roles": roles, "exp": int(time.time()) + 86400}).encode())
sig = b64(hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
