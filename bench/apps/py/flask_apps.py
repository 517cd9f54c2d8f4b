# Benchmark apps for the Gunicorn targets (Gunicorn worker processes): the seed study's Flask apps,
# a real CPU-bound one, and a framework-free WSGI hello for the raw-throughput comparison.
#   flask_apps:hello  "hello world!" (the seed's constant app)
#   flask_apps:io     sleeps 1 s, then answers (the seed's I/O-bound app; gevent patches the sleep)
#   flask_apps:cpu    burns about 10 ms of CPU, then answers (the seed's CPU app was by mistake a
#                     copy of its sleep app; this one really computes, like bench/apps/cpu.mjs)
#   flask_apps:raw    plain WSGI "hello world!", no framework (against plain node:http)
import hashlib
import os
import time

from flask import Flask, request

BODY = b"hello world!"
CHUNK = b"\x01" * 4096


def hash_rounds(n):
    h = CHUNK
    for _ in range(n):
        h = hashlib.sha256(h).digest() + CHUNK[32:]
    return h


def rounds_per_ms():
    """SHA-256 rounds of a 4 KiB buffer per millisecond of this process's CPU time."""
    fixed = os.environ.get("PY_CPU_ROUNDS_PER_MS")
    if fixed:
        return float(fixed)
    hash_rounds(200)
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < 0.2:
        hash_rounds(100)
        n += 100
    return n / ((time.process_time() - t0) * 1000)


CPU_MS = float(os.environ.get("CPU_MS", "10"))
CPU_ROUNDS = max(1, round(rounds_per_ms() * CPU_MS))

def probe():
    """The harness's readiness probes (x-bench-nocount) are answered at once, as the Node apps do."""
    return "X-Bench-Nocount" in request.headers


hello = Flask("hello")
io = Flask("io")
cpu = Flask("cpu")


@hello.route("/")
def hello_view():
    return BODY


@io.route("/")
def io_view():
    if not probe():
        time.sleep(1)
    return BODY


@cpu.route("/")
def cpu_view():
    if not probe():
        hash_rounds(CPU_ROUNDS)
    return BODY


def raw(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
