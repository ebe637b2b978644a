"""A bounded load test of the HTTP service on 127.0.0.1, against in-process `evaluate`.

Starts ``challenge-rules serve`` (a real uvicorn server, in its own process)
on a free port of 127.0.0.1 and sends it a fixed number of requests from
``--clients`` threads with keep-alive connections (httpx), each request with a
time limit, the whole run bounded by ``--time-limit`` seconds:

* single: ``POST /v1/evaluate``, one case per request;
* batch: ``POST /v1/evaluate/batch``, ``--batch-size`` cases per request.

It reports requests/s and cases/s, and the p50 and p99 latency of each, beside
the baseline measured in the same run: loading, evaluating and writing the
same cases in-process (``load_history`` + `evaluate` + `to_json`). The ratios
say what the HTTP layer costs; with ``--check`` the script fails if batch
evaluation through the service is more than ``--max-slowdown`` times slower
per case than in-process, or if any request failed.

    python benchmarks/bench_service.py            # 2,000 single, 100 batches of 50
    python benchmarks/bench_service.py --quick    # 200 single, 10 batches of 50
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
from bench_evaluate import make_case

from challenge_rules import evaluate, load_history, shipped_policy
from challenge_rules.report import to_json


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Served:
    """``challenge-rules serve`` in a subprocess, stopped on exit."""

    def __init__(self, max_cases: int) -> None:
        self.port = _free_port()
        self.command = [
            sys.executable,
            *("-m", "challenge_rules", "serve", "--port", str(self.port)),
            *("--max-cases", str(max_cases)),
        ]

    def __enter__(self) -> str:
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):  # at most 30 s to start
            try:
                httpx.get(f"{base}/v1/health", timeout=1).raise_for_status()
            except httpx.HTTPError:
                time.sleep(0.1)
            else:
                return base
        self.process.kill()
        raise SystemExit("the service did not start")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _workload(count: int) -> list[tuple[dict[str, Any], str]]:
    policies = [shipped_policy("pan-cheshire"), shipped_policy("hips")]
    rng = random.Random(20261202)
    cases = [make_case(rng, rng.choice(policies), n) for n in range(count)]
    return [(json.loads(raw), as_of.isoformat()) for raw, as_of in cases]


def _in_process(cases: list[tuple[dict[str, Any], str]]) -> float:
    """Seconds to load, evaluate and write every case in this process."""
    policies = {p: shipped_policy(p) for p in ("pan-cheshire", "hips")}
    started = time.perf_counter()
    for document, as_of in cases:
        history = load_history(document)
        json.dumps(
            to_json(
                evaluate(policies[history.policy or ""], history, datetime.fromisoformat(as_of))
            )
        )
    return time.perf_counter() - started


def _load(
    base: str, bodies: list[tuple[str, dict[str, Any]]], clients: int, deadline: float
) -> tuple[list[float], float, int]:
    """Send every body (from ``clients`` threads); latencies, wall time and failures."""
    local = threading.local()
    failures = 0
    lock = threading.Lock()

    def send(item: tuple[str, dict[str, Any]]) -> float | None:
        nonlocal failures
        if time.monotonic() > deadline:
            return None
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=60)
        path, body = item
        started = time.perf_counter()
        response = local.client.post(path, json=body)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            with lock:
                failures += 1
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [t for t in pool.map(send, bodies) if t is not None]
    return latencies, time.perf_counter() - started, failures


def _percentile(values: list[float], share: float) -> float:
    if len(values) < 2:  # quantiles needs two
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the requests")
    parser.add_argument("--requests", type=int, default=None, help="single requests (2,000)")
    parser.add_argument("--batches", type=int, default=None, help="batch requests (100)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds for the whole run")
    parser.add_argument("--repeat", type=int, default=3, help="in-process rounds (best kept)")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--max-slowdown", type=float, default=4.0)
    args = parser.parse_args(argv)
    singles = args.requests or (200 if args.quick else 2_000)
    batches = args.batches or (10 if args.quick else 100)
    deadline = time.monotonic() + args.time_limit
    cases = _workload(max(singles, batches * args.batch_size))
    baseline = min(_in_process(cases[:singles]) for _ in range(args.repeat)) / singles
    single_bodies = [("/v1/evaluate", {"as_of": a, "history": d}) for d, a in cases[:singles]]
    batch_bodies = [
        (
            "/v1/evaluate/batch",
            {
                "as_of": cases[i * args.batch_size][1],
                "cases": [d for d, _ in cases[i * args.batch_size : (i + 1) * args.batch_size]],
            },
        )
        for i in range(batches)
    ]
    with _Served(args.batch_size) as base:
        _load(base, single_bodies[:20], 1, deadline)  # warm up: imports, caches
        single, single_wall, single_failed = _load(base, single_bodies, args.clients, deadline)
        batch, batch_wall, batch_failed = _load(base, batch_bodies, args.clients, deadline)
    print(f"in-process: {1 / baseline:,.0f} cases/s (load_history + evaluate + to_json, 1 thread)")
    rows = [
        ("single", single, single_wall, 1, single_failed),
        ("batch", batch, batch_wall, args.batch_size, batch_failed),
    ]
    ok = True
    for name, latencies, wall, size, failed in rows:
        if not latencies:
            print(f"{name}: no requests within the time limit")
            ok = False
            continue
        per_case = wall / (len(latencies) * size)
        print(
            f"{name}: {len(latencies)} requests ({size} case{'s' if size > 1 else ''} each, "
            f"{args.clients} clients): {len(latencies) / wall:,.1f} requests/s, "
            f"{1 / per_case:,.0f} cases/s, p50 {_percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms; "
            f"{per_case / baseline:.2f}x in-process time per case; {failed} failed"
        )
        ok = ok and failed == 0
        if name == "batch" and per_case / baseline > args.max_slowdown:
            ok = False
    if args.check and not ok:
        print(f"FAILED: a request failed, or batch is over {args.max_slowdown}x in-process")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
