"""Signature verification throughput and memory (issue 13): a large signed package verified by
fwupdate (Authenticode in Python, streamed; detached `.sign` through gpgv) against `sha256sum`
on the same file in the same run.  Targets: at least 80 % of sha256sum's throughput, peak memory
of the verifying process under 64 MB.

The package is a minimal PE (fwupdate's synthetic stub) with a large overlay, signed by the
test/demo signing kit (osslsigncode, gpg): made once in bench-out/, reused while present.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import BenchContext

MiB = 1 << 20
FULL_MB = 500
QUICK_MB = 64
TARGET_RATIO = 0.80
TARGET_RSS_MB = 64.0


def _make(folder: Path, size_mb: int) -> Path:
    from fwupdate.dup.build import pe_stub
    from fwupdate.trust import TrustStore
    from fwupdate.trust.kit import SigningKit

    pkg = folder / f"signed-{size_mb}MB.EXE"
    if pkg.is_file() and pkg.with_name(pkg.name + ".sign").is_file():
        return pkg
    folder.mkdir(parents=True, exist_ok=True)
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(MiB // 32))
    raw = folder / "unsigned.tmp"
    with raw.open("wb") as f:
        f.write(pe_stub(4096))
        for _ in range(size_mb):
            f.write(block)
    kit = SigningKit(folder / "kit")
    try:
        kit.sign_exe(raw)
        kit.sign_detached(raw)
        store = TrustStore(folder / "trust")
        store.import_file(kit.ca.cert_pem)
        store.import_file(kit.pgp_public)
    finally:
        kit.close()
    raw.rename(pkg)
    raw.with_name(raw.name + ".sign").rename(pkg.with_name(pkg.name + ".sign"))
    return pkg


def child(task: str, args: list[str]) -> dict[str, Any]:
    from fwupdate.trust import TrustStore
    from fwupdate.trust.authenticode import verify_authenticode
    from fwupdate.trust.gpg import verify_detached

    pkg, trust = Path(args[0]), TrustStore(Path(args[1]))
    started = time.perf_counter()
    if task == "authenticode":
        verdict = verify_authenticode(pkg, trust.certificates())
    else:
        verdict = verify_detached(pkg, trust)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "status": str(verdict.status), "reason": verdict.reason}


def _sha256sum(pkg: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(pkg)], check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def run(ctx: BenchContext) -> None:
    missing = [t for t in ("osslsigncode", "gpg", "gpgv", "sha256sum") if not shutil.which(t)]
    if missing:
        ctx.figure("signature verification", f"skipped: {', '.join(missing)} not installed")
        return
    size_mb = QUICK_MB if ctx.quick else FULL_MB
    folder = ctx.out_dir / "trust"
    pkg = _make(folder, size_mb)
    _sha256sum(pkg)  # warm the page cache for everyone alike
    base = min(_sha256sum(pkg) for _ in range(2))
    ctx.figure(f"sha256sum, {size_mb} MB", f"{size_mb / base:.0f} MB/s")
    for task in ("authenticode", "gpg"):
        m = ctx.measure("bench.trust_bench", task, [str(pkg), str(folder / "trust")])
        if m.result["status"] != "valid":
            ctx.target(f"{task} verifies", False, m.result["reason"])
            continue
        ratio = base / m.seconds
        ctx.figure(f"{task} verify, {size_mb} MB", f"{size_mb / m.seconds:.0f} MB/s "
                   f"({ratio:.0%} of sha256sum), peak RSS {m.peak_rss_mb:.0f} MB")
        ctx.target(f"{task} throughput >= {TARGET_RATIO:.0%} of sha256sum", ratio >= TARGET_RATIO,
                   f"{ratio:.0%}")
        ctx.target(f"{task} peak memory < {TARGET_RSS_MB:.0f} MB", m.peak_rss_mb < TARGET_RSS_MB,
                   f"{m.peak_rss_mb:.0f} MB")
