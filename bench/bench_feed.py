#!/usr/bin/env python3
"""Feed benchmark: messages/s delivered and the latency the feed adds (inference end → client
receipt), measured in one run with real websockets clients in other processes.

    .venv/bin/python bench/bench_feed.py [--clients 20] [--seconds 3] [--rate 30] [--json]

Scenarios (each prints one line):
  paced    the publisher emits ``--rate`` predictions/s (a live camera); every client reads.
  fast     the publisher emits ``--fast-rate`` predictions/s (a fast LiteRT model).
  flood    the publisher emits as fast as it can; every client reads (newest wins: some are missed).
  flood-pull  the same, clients in pull mode ("next" after each prediction: always the newest).
  stalled  paced again, plus one client that never reads (its own socket buffers fill up).
  serve    the real thing: `livepredict serve models/shapes.keras --source resources/samples/shapes.avi`
           (capture → inference worker → feed, published on the inference thread), unthrottled
           clients in other processes.
  burst    `livepredict serve models/shapes.keras` (no source: classify requests answered on the
           inference thread); one client sends ``--burst`` classify requests with ids before reading
           anything, then reads: how many ids got a reply (result or busy), and how long it took.
           ``--burst-only`` runs just this one.
Latency uses the machine-wide monotonic clock (publisher: infer_end_ts = time.monotonic() just
before publish; client: time.monotonic() at receipt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), q))


# ------------------------------------------------------------------ client process

async def _clients(url: str, n: int, seconds: float, stalled: int, pull: bool = False) -> dict:
    from websockets.asyncio.client import connect

    lat: list[float] = []
    counts = [0] * n
    missed = [0] * n
    ready = asyncio.Event()
    connected = 0
    stop_at = None

    async def reader(i: int) -> None:
        nonlocal connected, stop_at
        async with connect(url) as ws:
            await ws.recv()  # hello
            if pull:
                await ws.send(json.dumps({"type": "subscribe", "pull": True}))
                await ws.send('{"type": "next"}')
            connected += 1
            if connected == n:
                ready.set()
            await ready.wait()
            while True:
                remaining = stop_at - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    raw = await asyncio.wait_for(ws.recv(), remaining)
                except TimeoutError:
                    return
                t = time.monotonic()
                m = json.loads(raw)
                if m.get("type") == "prediction":
                    counts[i] += 1
                    missed[i] += m["missed"]
                    lat.append((t - m["infer_end_ts"]) * 1000.0)
                    if pull:
                        await ws.send('{"type": "next"}')

    async def staller() -> None:
        async with connect(url, max_queue=1) as ws:
            await ws.send(json.dumps({"type": "subscribe", "tensors": True}))
            await asyncio.sleep(seconds + 3)

    stall_tasks = [asyncio.create_task(staller()) for _ in range(stalled)]
    stop_at = time.monotonic() + 3600
    tasks = [asyncio.create_task(reader(i)) for i in range(n)]
    await ready.wait()
    print("READY", flush=True)
    # the parent starts publishing when it reads READY; we listen for `seconds`
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*tasks)
    for t in stall_tasks:
        t.cancel()
    return {"latency_ms": lat, "counts": counts, "missed": missed, "seconds": seconds}


def client_main(argv: list[str]) -> None:
    url, n, seconds, stalled = argv[0], int(argv[1]), float(argv[2]), int(argv[3])
    pull = len(argv) > 4 and argv[4] == "pull"
    res = asyncio.run(_clients(url, n, seconds, stalled, pull))
    print(json.dumps(res), flush=True)


# ------------------------------------------------------------------ server side

CLIENT_PROCS = 4  # clients are spread over this many processes (one Python process cannot read 20 fast)


def spawn_clients(url: str, n: int, seconds: float, stalled: int, pull: bool) -> list[subprocess.Popen]:
    """Start the client processes and wait until every client has connected (READY)."""
    k = max(1, min(CLIENT_PROCS, n))
    shares = [n // k + (1 if i < n % k else 0) for i in range(k)]
    procs = [subprocess.Popen([sys.executable, __file__, "--client", url, str(share), str(seconds),
                               str(stalled if i == 0 else 0), "pull" if pull else "push"],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "desktop")})
             for i, share in enumerate(shares)]
    for proc in procs:
        line = proc.stdout.readline().strip()
        if line != "READY":
            raise SystemExit(f"client process failed to start: {line!r}")
    return procs


def collect_clients(procs: list[subprocess.Popen], seconds: float) -> dict:
    merged: dict = {"latency_ms": [], "counts": [], "missed": [], "seconds": seconds}
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        res = json.loads(out.strip().splitlines()[-1])
        for key in ("latency_ms", "counts", "missed"):
            merged[key] += res[key]
    return merged


def scenario(name: str, n_clients: int, seconds: float, rate: float | None, stalled: int = 0,
             pull: bool = False) -> dict:
    from livepredict.core.types import Prediction
    from livepredict.feed.server import FeedServer

    srv = FeedServer(port=0, model="bench").start()
    procs = spawn_clients(srv.url, n_clients, seconds, stalled, pull)
    scores = np.array([0.7, 0.2, 0.1], np.float32)
    big = np.random.default_rng(0).random(16384).astype(np.float32)
    publish_us: list[float] = []
    stop = threading.Event()

    def publisher() -> None:
        i = 0
        t_next = time.monotonic()
        end = time.monotonic() + seconds + 0.5
        while not stop.is_set() and time.monotonic() < end:
            now = time.monotonic()
            p = Prediction(top=(("circle", 0.7), ("square", 0.2), ("star", 0.1)), scores=scores,
                           frame_index=i, capture_ts=now - 0.005, infer_start_ts=now - 0.002, infer_end_ts=now,
                           source="bench")
            t0 = time.perf_counter()
            srv.publish_prediction(p, tensor=big if stalled else scores)
            publish_us.append((time.perf_counter() - t0) * 1e6)
            i += 1
            if rate:
                t_next += 1.0 / rate
                delay = t_next - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            elif i % 50 == 0:
                time.sleep(0)  # let the feed thread take the GIL now and then, like a real inference loop

    th = threading.Thread(target=publisher, name="publisher")
    t_start = time.monotonic()
    th.start()
    res = collect_clients(procs, seconds)
    stop.set()
    th.join()
    elapsed = time.monotonic() - t_start
    srv.stop()
    lat = res["latency_ms"]
    delivered = sum(res["counts"])
    published = len(publish_us)
    per_client = [c / res["seconds"] for c in res["counts"]]
    return {
        "scenario": name,
        "clients": n_clients,
        "stalled_clients": stalled,
        "publish_rate_target": rate,
        "published_per_s": published / elapsed,
        "delivered_msgs_per_s": delivered / res["seconds"],
        "per_client_msgs_per_s_min": min(per_client) if per_client else 0.0,
        "missed_fraction": sum(res["missed"]) / max(1, sum(res["missed"]) + delivered),
        "added_latency_ms_p50": pct(lat, 50),
        "added_latency_ms_p95": pct(lat, 95),
        "publish_call_us_p50": pct(publish_us, 50),
        "publish_call_us_p95": pct(publish_us, 95),
    }


def median_run(runs: list[dict]) -> dict:
    """Field-wise median of several runs of one scenario."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            out[key] = float(np.median([r[key] for r in runs]))
    return out


def scenario_serve(n_clients: int, seconds: float) -> dict | None:
    model, video = ROOT / "models" / "shapes.keras", ROOT / "resources" / "samples" / "shapes.avi"
    if not (model.exists() and video.exists()):
        return None
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    serve = subprocess.Popen([sys.executable, "-m", "livepredict", "serve", str(model), "--source", str(video),
                              "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = serve.stdout.readline().strip()
        if not url.startswith("ws://"):
            return None
        res = collect_clients(spawn_clients(url, n_clients, seconds, 0, False), seconds)
    finally:
        serve.terminate()
        serve.wait(30)
    lat, delivered = res["latency_ms"], sum(res["counts"])
    per_client = [c / res["seconds"] for c in res["counts"]]
    return {
        "scenario": "serve", "clients": n_clients, "stalled_clients": 0, "publish_rate_target": None,
        "published_per_s": float("nan"), "delivered_msgs_per_s": delivered / res["seconds"],
        "per_client_msgs_per_s_min": min(per_client), "missed_fraction":
            sum(res["missed"]) / max(1, sum(res["missed"]) + delivered),
        "added_latency_ms_p50": pct(lat, 50), "added_latency_ms_p95": pct(lat, 95),
        "publish_call_us_p50": float("nan"), "publish_call_us_p95": float("nan"),
    }


def _burst_client(url: str, n: int) -> dict:
    import base64
    import io

    from PIL import Image
    from websockets.asyncio.client import connect

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(buf, format="PNG")
    image = base64.b64encode(buf.getvalue()).decode()

    async def go() -> dict:
        async with connect(url, max_size=None) as ws:
            await ws.recv()  # hello
            t0 = time.monotonic()
            for i in range(n):
                await ws.send(json.dumps({"type": "classify", "id": i, "image": image, "top_k": 1}))
            sent = time.monotonic()
            replies: dict[int, str] = {}
            while len(replies) < n:
                try:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 10.0))
                except TimeoutError:
                    break  # no reply for 10 s: the rest are lost
                if m.get("id") is not None and m["type"] in ("result", "error"):
                    replies[m["id"]] = m["type"] if m["type"] == "result" else m["code"]
            done = time.monotonic()
        kinds = list(replies.values())
        return {"scenario": "burst", "requests": n, "answered": len(replies),
                "unanswered": n - len(replies), "results": kinds.count("result"), "busy": kinds.count("busy"),
                "other_errors": len(kinds) - kinds.count("result") - kinds.count("busy"),
                "send_s": sent - t0, "all_answered_s": done - t0}

    return asyncio.run(go())


def scenario_burst(n: int) -> dict | None:
    model = ROOT / "models" / "shapes.keras"
    if not model.exists():
        return None
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    serve = subprocess.Popen([sys.executable, "-m", "livepredict", "serve", str(model), "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = serve.stdout.readline().strip()
        return _burst_client(url, n) if url.startswith("ws://") else None
    finally:
        serve.terminate()
        serve.wait(30)


def print_burst(r: dict) -> None:
    print(f"  burst      {r['requests']} classify requests sent before reading (in {r['send_s'] * 1000:.0f} ms): "
          f"{r['answered']} answered ({r['results']} results, {r['busy']} busy, {r['other_errors']} other "
          f"errors), {r['unanswered']} unanswered; last reply after {r['all_answered_s'] * 1000:.0f} ms")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description="Feed throughput and added latency.")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--fast-rate", type=float, default=300.0, help="publish rate of the 'fast' scenario")
    ap.add_argument("--rounds", type=int, default=3, help="alternating paced/stalled rounds (medians)")
    ap.add_argument("--burst", type=int, default=1000, help="classify requests in the 'burst' scenario")
    ap.add_argument("--burst-only", action="store_true", help="run only the 'burst' scenario")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    burst = scenario_burst(args.burst)
    if args.burst_only:
        if args.json:
            print(json.dumps(burst, indent=2))
        elif burst is not None:
            print_burst(burst)
        return
    # paced and stalled alternate for --rounds rounds, so machine noise hits both alike
    paced_runs, stalled_runs = [], []
    for _ in range(args.rounds):
        paced_runs.append(scenario("paced", args.clients, args.seconds, args.rate))
        stalled_runs.append(scenario("stalled", args.clients, args.seconds, args.rate, stalled=1))
    results = [
        median_run(paced_runs),
        median_run(stalled_runs),
        scenario("fast", args.clients, args.seconds, args.fast_rate),
        scenario("flood", args.clients, args.seconds, None),
        scenario("flood-pull", args.clients, args.seconds, None, pull=True),
    ]
    served = scenario_serve(args.clients, args.seconds)
    if served is not None:
        results.append(served)
    if args.json:
        print(json.dumps(results + ([burst] if burst else []), indent=2))
        return
    print(f"feed benchmark: {args.clients} clients in {min(CLIENT_PROCS, args.clients)} other processes, {args.seconds:g} s per scenario, "
          f"{os.cpu_count()} CPU(s)")
    for r in results:
        print(f"  {r['scenario']:10s} published {r['published_per_s']:8.0f}/s  delivered {r['delivered_msgs_per_s']:8.0f} "
              f"msgs/s (slowest client {r['per_client_msgs_per_s_min']:6.0f}/s, missed {r['missed_fraction']:.1%})  "
              f"added latency p50 {r['added_latency_ms_p50']:.2f} ms p95 {r['added_latency_ms_p95']:.2f} ms  "
              f"publish() p50 {r['publish_call_us_p50']:.1f} us p95 {r['publish_call_us_p95']:.1f} us")
    by = {r["scenario"]: r for r in results}
    paced, stalled, flood = by["paced"], by["stalled"], by["flood"]
    print(f"  ratio flood/paced delivered: {flood['delivered_msgs_per_s'] / paced['delivered_msgs_per_s']:.1f}x; "
          f"stalled/paced slowest reader: "
          f"{stalled['per_client_msgs_per_s_min'] / max(1e-9, paced['per_client_msgs_per_s_min']):.2f}x "
          f"(medians of {args.rounds} alternating rounds)")
    if burst is not None:
        print_burst(burst)

if __name__ == "__main__":
    main()
