#!/usr/bin/env python3
"""Print live predictions from a Live Predict feed (docs/feed.md).

    python examples/feed_client.py                                 # ws://127.0.0.1:8765
    python examples/feed_client.py ws://192.168.1.20:8765 --token SECRET --top-k 3
    python examples/feed_client.py --classify cat.jpg              # one classify request, then exit
    python examples/feed_client.py --tensors --count 10 --json     # raw messages, with output tensors
    python examples/feed_client.py --pull                          # ask for the newest one when ready

Needs only ``pip install websockets`` (and numpy for --tensors). One line per prediction:
``#seq frame N  label 0.93  (other 0.05, ...)  latency 12.3 ms  missed 0``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import struct
import sys


def parse_tensor(data: bytes):
    """b"LPF1" + uint32 LE header length + JSON header + raw little-endian bytes → (header, array)."""
    import numpy as np

    if data[:4] != b"LPF1":
        raise ValueError("not a Live Predict binary frame")
    (n,) = struct.unpack_from("<I", data, 4)
    header = json.loads(data[8:8 + n].decode("utf-8"))
    arr = np.frombuffer(data[8 + n:], dtype=np.dtype(header["dtype"]).newbyteorder("<")).reshape(header["shape"])
    return header, arr


def show_prediction(m: dict, k: int = 5) -> str:
    top = (m.get("top") or [])[:k]  # the first message may predate our subscribe (server default k)
    if m.get("error"):
        head = f"error: {m['error']}"
    elif top:
        head = f"{top[0]['label']} {top[0]['score']:.3f}"
        if len(top) > 1:
            head += "  (" + ", ".join(f"{t['label']} {t['score']:.3f}" for t in top[1:]) + ")"
    else:
        head = "(no answer)"
    lat = m.get("latency_ms")
    lat_txt = f"  latency {lat:.1f} ms" if isinstance(lat, int | float) else ""
    return f"#{m['seq']} frame {m['frame_index']}  {head}{lat_txt}  missed {m.get('missed', 0)}"


async def main(args: argparse.Namespace) -> int:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    url = args.url
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    try:
        async with connect(url, additional_headers=headers, max_size=64 * 2**20) as ws:
            hello = json.loads(await ws.recv())
            print(f"connected to {url}: model {hello.get('model') or '(none yet)'}", file=sys.stderr)
            if args.classify:
                with open(args.classify, "rb") as f:  # the client reads its own file; the server never opens paths
                    image = base64.b64encode(f.read()).decode("ascii")
                await ws.send(json.dumps({"type": "classify", "id": 1, "image": image, "top_k": args.top_k}))
                while True:
                    m = json.loads(await ws.recv())
                    if m.get("type") in ("result", "error") and m.get("id") == 1:
                        if args.json:
                            print(json.dumps(m))
                        elif m["type"] == "error":
                            print(f"error: {m['message']}", file=sys.stderr)
                            return 1
                        else:
                            print("  ".join(f"{t['label']} {t['score']:.3f}" for t in m["top"]))
                        return 0
            sub = {"type": "subscribe", "top_k": args.top_k, "tensors": args.tensors, "pull": args.pull}
            if args.max_rate:
                sub["max_rate"] = args.max_rate
            await ws.send(json.dumps(sub))
            if args.pull:
                await ws.send('{"type": "next"}')
            count = 0
            async for raw in ws:
                if isinstance(raw, bytes):
                    header, arr = parse_tensor(raw)
                    print(f"  tensor #{header['seq']} {header['name']} {arr.dtype}{list(arr.shape)}"
                          if not args.json else json.dumps({**header, "values": arr.ravel()[:16].tolist()}))
                    continue
                m = json.loads(raw)
                kind = m.get("type")
                if args.json:
                    if kind != "subscribed":
                        print(json.dumps(m), flush=True)
                elif kind == "prediction":
                    print(show_prediction(m, args.top_k), flush=True)
                elif kind == "generation":
                    print(m["token"] if m["token"] is not None else m["value"], end="" if m["token"] else "\n",
                          flush=True)
                elif kind in ("status", "error"):
                    print(f"[{kind}] {m.get('message')}", file=sys.stderr, flush=True)
                if kind == "prediction":
                    count += 1
                    if args.count and count >= args.count:
                        return 0
                    if args.pull:  # ready for the next one: the server sends the newest it has
                        await ws.send('{"type": "next"}')
    except InvalidStatus as e:
        body = (e.response.body or b"").decode("utf-8", "replace").strip()
        print(f"refused ({e.response.status_code}): {body}", file=sys.stderr)
        return 2
    except (OSError, ConnectionClosed) as e:
        print(f"connection failed: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", nargs="?", default="ws://127.0.0.1:8765")
    p.add_argument("--token", default=None, help="the feed's token (sent as Authorization: Bearer)")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--tensors", action="store_true", help="also receive the full output tensor (binary)")
    p.add_argument("--max-rate", type=float, default=None, help="at most this many predictions per second")
    p.add_argument("--pull", action="store_true",
                   help="ask for each prediction when ready (always the newest; for slow consumers)")
    p.add_argument("--count", type=int, default=0, help="exit after this many predictions")
    p.add_argument("--classify", metavar="IMAGE", help="send this image file once and print the result")
    p.add_argument("--json", action="store_true", help="print the raw JSON messages")
    try:
        sys.exit(asyncio.run(main(p.parse_args())))
    except KeyboardInterrupt:
        sys.exit(130)
