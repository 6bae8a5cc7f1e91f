"""Webhook acknowledgement latency (p50/p99) and throughput under a bounded loopback load.

Starts `engage serve` on 127.0.0.1 in its own process (a fresh ENGAGE_HOME, SQLite unless
--database-url is given), then, from this second process, sends signed Zoom
`recording.transcript_completed` deliveries with a fixed number of concurrent senders. Each
delivery is verified, recorded once and given a job before it is acknowledged; the job itself runs
in the server's background worker (it dead-letters at once: the host is not an Engage user), so
what is timed is the acknowledgement path.

    .venv/bin/python benchmarks/webhooks.py [--requests 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.zoom import sign  # noqa: E402

SECRET = "bench-secret"  # noqa: S105 (the throwaway server's own test secret)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def body(n: int) -> bytes:
    event = {
        "event": "recording.transcript_completed",
        "event_ts": 1_790_000_000_000 + n,
        "payload": {
            "account_id": "bench",
            "object": {
                "uuid": f"bench-{n}==",
                "id": 80000000000 + n,
                "host_email": "nobody@bench.invalid",
                "topic": "bench",
                "start_time": "2026-11-20T10:00:00Z",
                "duration": 30,
                "recording_files": [
                    {
                        "id": f"f{n}",
                        "file_type": "TRANSCRIPT",
                        "file_extension": "VTT",
                        "file_size": 100,
                        "download_url": f"https://bench.zoom.us/rec/webhook_download/{n}",
                        "status": "completed",
                    }
                ],
            },
        },
        "download_token": "t",
    }
    return json.dumps(event, separators=(",", ":")).encode()


def start_server(port: int, home: Path, database_url: str | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENGAGE_HOME": str(home),
        "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET,
        "PYTHONPATH": str(ROOT),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    engage = str(Path(sys.executable).with_name("engage"))
    server = subprocess.Popen(  # noqa: S603 (our own engage command)
        [engage, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("engage serve did not start within 60 s")


def load(port: int, requests: int, concurrency: int) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    guard = threading.Lock()
    counter = iter(range(requests))

    def sender() -> None:
        nonlocal failures
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while True:
                with guard:
                    n = next(counter, None)
                if n is None:
                    return
                raw = body(n)
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "x-zm-request-timestamp": stamp,
                    "x-zm-signature": sign(SECRET, stamp, raw),
                }
                started = time.perf_counter()
                answer = client.post("/webhooks/zoom", content=raw, headers=headers)
                elapsed = time.perf_counter() - started
                with guard:
                    latencies.append(elapsed)
                    failures += answer.status_code != 200

    threads = [threading.Thread(target=sender) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - began, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as home:
        server = start_server(port, Path(home), args.database_url)
        try:
            load(port, min(50, args.requests), args.concurrency)
            latencies, wall, failures = load(port, args.requests, args.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"webhook acknowledgement, {args.requests} signed Zoom deliveries, {store}")
    print(f"  concurrency       {args.concurrency} senders (loopback, second process)")
    print(f"  p50               {statistics.median(latencies) * 1000:.1f} ms")
    print(f"  p99               {p99 * 1000:.1f} ms")
    print(f"  max               {ordered[-1] * 1000:.1f} ms")
    print(f"  throughput        {len(latencies) / wall:.0f} acknowledgements/s")
    print(f"  non-200 answers   {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
