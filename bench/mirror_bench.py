"""`repo mirror` of a 200-package repository from a loopback HTTPS server that adds 50 ms of
latency to every request (issue 13).  Target: within 1.2x of the floor at the chosen
concurrency, where, measured in the same run against the same server:

    floor = bytes / bandwidth + requests x latency / concurrency

- bandwidth: one large file (the size of the whole repository) downloaded by the same client
  stack (requests, streamed to disk, TLS verified) from the same server, its one request's
  latency taken off;
- requests: what the server counted during the mirror (catalog + 200 packages);
- latency: the 50 ms the server sleeps before answering each request.

The mirror runs in a fresh child process (`ctx.measure`), timed around `mirror()`, with
signatures = "off" (the packages are random bytes; signature verification throughput is
`bench trust`).  Size and MD5 are checked as always; a second run checks the re-run figure
(everything unchanged, no package request).  Inputs live in a scratch folder removed after.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import BenchContext

PACKAGES = 200
LATENCY = 0.050
CONCURRENCY = 4  # `repo mirror`'s default --concurrency: the target is set there
MORE = 8  # a second figure (no target): where per-request CPU starts to show
FULL_KB = 1024
QUICK_KB = 128
TARGET_RATIO = 1.2
BLOCK = 1 << 20


def _make_repo(folder: Path, size_kb: int) -> int:
    from fwupdate.catalog.models import PackageType, SoftwareComponent, SupportedSystem
    from fwupdate.dup.repo import write_catalog

    folder.mkdir(parents=True, exist_ok=True)
    comps = []
    for i in range(PACKAGES):
        data = os.urandom(size_kb * 1024)
        name = f"Firmware_{i:03d}_WN64_1.{i}.0_A00.EXE"
        (folder / name).write_bytes(data)
        comps.append(SoftwareComponent(
            path=name, package_type=PackageType.LW64, vendor_version=f"1.{i}.0",
            name=f"Firmware {i}", hash_md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            size=len(data), systems=(SupportedSystem("PE", "04F7", "R320"),),
        ))  # fmt: skip
    write_catalog(folder / "Catalog.xml", comps, bundle_system_ids=("04F7",))
    (folder / "tiny.bin").write_bytes(b"x")  # the latency probe
    with (folder / "big.bin").open("wb") as f:  # the bandwidth probe: as many bytes
        for _ in range(PACKAGES * size_kb // 1024 or 1):
            f.write(os.urandom(BLOCK))
    return PACKAGES * size_kb * 1024


class _Server:
    """Serves `root` over HTTPS on 127.0.0.1, sleeping LATENCY before each answer."""

    def __init__(self, root: Path, context: ssl.SSLContext) -> None:
        self.requests = 0
        self.package_requests = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, like a CDN

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                path = root / self.path.rsplit("/", 1)[-1]
                with lock:
                    outer.requests += 1
                    outer.package_requests += path.suffix == ".EXE"
                time.sleep(LATENCY)
                etag = f'"{path.stat().st_mtime_ns}"' if path.is_file() else ""
                if not path.is_file() or self.headers.get("If-None-Match") == etag:
                    self.send_response(404 if not path.is_file() else 304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(path.stat().st_size))
                self.send_header("ETag", etag)
                self.end_headers()
                with path.open("rb") as f:
                    while block := f.read(BLOCK):
                        self.wfile.write(block)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def child(task: str, args: list[str]) -> dict[str, Any]:
    url, ca, work, concurrency = args[0], args[1], Path(args[2]), int(args[3])
    import requests  # imported before the clock starts, like fwupdate itself

    if task == "probe":
        return _probe(requests.Session(), url, ca, work)
    from fwupdate.repo.mirror import MirrorOptions, mirror

    opts = MirrorOptions(frozenset({"04F7"}), "off", concurrency, cache_dir=work / "cache",
                         ca_bundle=ca)  # fmt: skip
    t0 = time.perf_counter()
    result = mirror(url + "Catalog.xml", work / f"mirror-{concurrency}", opts)
    seconds = time.perf_counter() - t0
    statuses = [i.status for i in result.items]
    return {"seconds": seconds, "fetched": statuses.count("fetched"),
            "unchanged": statuses.count("unchanged"), "items": len(statuses)}  # fmt: skip


def _probe(session: Any, url: str, ca: str, work: Path) -> dict[str, Any]:
    """Per-request latency as the client sees it (median of sequential 1-byte GETs on a warm
    connection: the server's sleep plus both sides' turnaround), then the bandwidth of one
    large file by the same client stack, that latency taken off."""
    rounds = []
    for _ in range(11):
        t0 = time.perf_counter()
        session.get(url + "tiny.bin", verify=ca, timeout=60).raise_for_status()
        rounds.append(time.perf_counter() - t0)
    latency = sorted(rounds)[len(rounds) // 2]
    out = work / "probe.bin"
    t0 = time.perf_counter()
    with session.get(url + "big.bin", stream=True, verify=ca, timeout=60) as r:
        r.raise_for_status()
        with out.open("wb") as f:
            for block in r.iter_content(BLOCK):
                f.write(block)
    seconds = time.perf_counter() - t0
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "bytes": size, "latency": latency,
            "bandwidth": size / max(seconds - latency, 1e-6)}  # fmt: skip


def run(ctx: BenchContext) -> None:
    from fwupdate.sim.tls import SimCA

    size_kb = QUICK_KB if ctx.quick else FULL_KB
    with ctx.scratch("mirror-") as work:
        total = _make_repo(work / "repo", size_kb)
        ca = SimCA("bench mirror CA")
        bundle = str(ca.write_bundle(work / "ca.pem"))
        server = _Server(work / "repo", ca.issue("127.0.0.1").server_context())
        try:
            _report(ctx, server, bundle, work, total)
        finally:
            server.close()


def _report(ctx: BenchContext, server: _Server, ca: str, work: Path, total: int) -> None:
    args = [server.url, ca, str(work)]
    probe = ctx.measure("bench.mirror_bench", "probe", [*args, "1"]).result
    bandwidth, latency = probe["bandwidth"], probe["latency"]
    ctx.figure("loopback HTTPS bandwidth (one large file)", f"{bandwidth / 2**20:.0f} MB/s")
    ctx.figure(f"per-request latency (server sleeps {LATENCY * 1000:.0f} ms; as measured)",
               f"{latency * 1000:.1f} ms")  # fmt: skip
    for concurrency in (CONCURRENCY, MORE):
        ratio, fetched = _one(ctx, server, [*args, str(concurrency)], total, (bandwidth, latency))
        if concurrency == CONCURRENCY:
            ctx.target(f"mirror within {TARGET_RATIO}x of the floor (concurrency {concurrency})",
                       fetched == PACKAGES and ratio <= TARGET_RATIO,
                       f"{ratio:.2f}x ({fetched} of {PACKAGES} fetched)")  # fmt: skip
    server.requests = server.package_requests = 0
    again = ctx.measure("bench.mirror_bench", "mirror", [*args, str(CONCURRENCY)])
    ctx.figure("re-run (nothing changed)",
               f"{again.seconds:.2f} s, {server.requests} request(s) (catalog, conditional), "
               f"{again.result['unchanged']} unchanged")  # fmt: skip
    ctx.target("re-run asks for no package", again.result["unchanged"] == PACKAGES
               and server.package_requests == 0, f"{server.package_requests} package request(s)")


def _one(ctx: BenchContext, server: _Server, args: list[str], total: int,
         link: tuple[float, float]) -> tuple[float, int]:  # fmt: skip
    """One mirror into a fresh folder: (time / floor, packages fetched)."""
    bandwidth, latency = link
    concurrency = int(args[-1])
    server.requests = 0
    m = ctx.measure("bench.mirror_bench", "mirror", args)
    requests = server.requests
    floor = total / bandwidth + requests * latency / concurrency
    ctx.figure(f"mirror {PACKAGES} packages, {total / 2**20:.0f} MB, {requests} requests, "
               f"concurrency {concurrency}", f"{m.seconds:.2f} s")  # fmt: skip
    ctx.figure(f"  floor: {total / 2**20:.0f} MB / bandwidth + {requests} x "
               f"{latency * 1000:.1f} ms / {concurrency}",
               f"{total / bandwidth:.2f} + {requests * latency / concurrency:.2f} "
               f"= {floor:.2f} s")  # fmt: skip
    ctx.figure("  mirror / floor", f"{m.seconds / floor:.2f}x")
    return m.seconds / floor, int(m.result["fetched"])
