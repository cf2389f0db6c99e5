"""`fwupdate repo mirror`: a verified offline repository built from a Dell catalog and nothing
else (issue 13).

The catalog (file or https URL) and its `.sign` are checked under the signature policy; only the
components for the wanted system ids are kept; each package (and its `.sign` when it is not a
Windows executable) is copied or downloaded into a private staging folder inside the target,
size-capped, resumed with `Range` when a partial download is left over, checked against the
catalog's size and MD5 and its signature, and only then moved into place.  A package already in
the target that still matches (size, MD5, signature) is left alone, so a re-run fetches only
what changed.  The catalog is rewritten (empty baseLocation, only the kept components) and
written atomically; the original catalog and its signature are kept beside it for audit.
Nothing half-written is ever left in place.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

from fwupdate.catalog.cache import default_cache_dir
from fwupdate.catalog.loader import load_catalog
from fwupdate.catalog.models import Catalog, SoftwareComponent
from fwupdate.catalog.signature import catalog_signature
from fwupdate.catalog.sources import fetch_url
from fwupdate.dup.build import atomic_output
from fwupdate.dup.verify import Digests, file_digests, verify_against_component
from fwupdate.errors import BadInputError, DownloadError, FwupdateError, SignatureError
from fwupdate.logsafe import redact_url
from fwupdate.pathsafe import normalize_name, unsafe_name_reason
from fwupdate.repo.mirror_state import MirrorState, Validators
from fwupdate.repo.rewrite import rewrite_catalog
from fwupdate.trust import TrustStore, Verdict, signature_path, verify_file

CHUNK = 1 << 20
SIGN_CAP = 1 << 20
DEFAULT_MAX_BYTES = 2 << 30
MAX_CONCURRENCY = 32
TIMEOUT = (10.0, 60.0)


@dataclass(frozen=True)
class MirrorItem:
    path: str
    status: str  # fetched | unchanged | skipped (failed a check) | left out (by the filters)
    reason: str = ""
    size: int | None = None
    signature: str = ""  # verdict line

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "reason": self.reason,
                "size": self.size, "signature": self.signature}  # fmt: skip


@dataclass(frozen=True)
class MirrorResult:
    folder: str
    catalog: str
    catalog_signature: str
    items: tuple[MirrorItem, ...]
    warnings: tuple[str, ...]
    iso: str | None = None
    other_systems: int = 0  # catalog components for none of the wanted system ids


@dataclass(frozen=True)
class MirrorOptions:
    system_ids: frozenset[str]
    signatures: str = "require"  # require | warn | off
    concurrency: int = 4
    max_bytes: int = DEFAULT_MAX_BYTES
    cache_dir: Path | None = None
    ca_bundle: str | None = None


class Choice(Protocol):
    """Which components to mirror (fwupdate.plan.mirror_select.Selection under a bundle)."""

    @property
    def kept(self) -> tuple[SoftwareComponent, ...]: ...

    @property
    def left_out(self) -> tuple[tuple[str, str], ...]: ...  # (catalog path, why)

    @property
    def other_systems(self) -> int: ...  # components for none of the wanted system ids

    @property
    def notes(self) -> tuple[str, ...]: ...


Choose = Callable[[Sequence[SoftwareComponent]], Choice]


@dataclass(frozen=True)
class BySystem:
    """Without a bundle: every component that lists one of the wanted system ids."""

    kept: tuple[SoftwareComponent, ...]
    other_systems: int
    left_out: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, components: Sequence[SoftwareComponent], ids: frozenset[str]) -> BySystem:
        kept = tuple(c for c in components if any(c.supports_system(s) for s in ids))
        return cls(kept, len(components) - len(kept))


class Progress(Protocol):
    """What the CLI shows while packages download (a rich bar on a terminal only)."""

    def begin(self, total_bytes: int, packages: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...


class _NoProgress:
    def begin(self, total_bytes: int, packages: int) -> None:
        return None

    def advance(self, nbytes: int) -> None:
        return None


OnBytes = Callable[[bytes], None]
Fetch = Callable[[str, Path, int, int, Validators, Validators, OnBytes], "Validators | None"]
# (source, partial file, cap, offset, If-Range validators, conditional validators, on each
# block written) ->
# the answer's validators, or None when the server said 304 Not Modified


def _copy_local(
    src: str, part: Path, cap: int, offset: int, _resume: Validators, _since: Validators,
    on_bytes: Callable[[bytes], None] = lambda b: None,
) -> Validators:
    try:
        with open(src, "rb") as fin, part.open("ab" if offset else "wb") as fout:
            if offset:
                _replay(part, on_bytes)
            fin.seek(offset)
            _copy_capped(iter(lambda: fin.read(CHUNK), b""), fout, cap - offset, src, on_bytes)
    except FileNotFoundError:
        raise BadInputError(f"{src}: missing in the source repository") from None
    return Validators()


def _copy_capped(
    chunks: Any, fout: Any, left: int, name: str, on_bytes: Callable[[bytes], None]
) -> None:
    for block in chunks:
        left -= len(block)
        if left < 0:
            raise BadInputError(f"{name}: larger than the catalog says (or the size cap)")
        fout.write(block)
        on_bytes(block)


def _replay(part: Path, on_bytes: Callable[[bytes], None]) -> None:
    """Feed what a resumed download already holds, so the digests cover the whole file."""
    with part.open("rb") as f:
        while block := f.read(CHUNK):
            on_bytes(block)


class _Hashing:
    """MD5 and SHA-256 of a download as it is written (no second read of the file)."""

    def __init__(self) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def update(self, block: bytes) -> None:
        self.md5.update(block)
        self.sha256.update(block)
        self.size += len(block)

    def digests(self) -> Digests:
        return Digests(self.size, self.md5.hexdigest(), self.sha256.hexdigest())


def _request_headers(offset: int, resume: Validators, since: Validators) -> dict[str, str]:
    headers = since.conditional()
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if resume.if_range():
            headers["If-Range"] = resume.if_range() or ""
    return headers


def _http_fetcher(ca_bundle: str | None) -> Fetch:
    import requests

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=MAX_CONCURRENCY)
    session.mount("https://", adapter)
    session.mount("http://", adapter)

    def fetch(url: str, part: Path, cap: int, offset: int, resume: Validators,
              since: Validators, on_bytes: OnBytes) -> Validators | None:  # fmt: skip
        shown = redact_url(url)
        try:
            with session.get(url, stream=True, timeout=TIMEOUT, verify=ca_bundle or True,
                             headers=_request_headers(offset, resume, since)) as r:  # fmt: skip
                if r.status_code == 304:
                    return None
                if r.status_code == 404:
                    raise BadInputError(f"{shown}: not found (404)")
                if r.status_code not in (200, 206):
                    raise FwupdateError(f"{shown}: HTTP {r.status_code}")
                resumed = r.status_code == 206 and offset > 0
                if resumed:
                    _replay(part, on_bytes)
                with part.open("ab" if resumed else "wb") as fout:
                    left = cap - (offset if resumed else 0)
                    _copy_capped(r.iter_content(CHUNK), fout, left, shown, on_bytes)
                return Validators.from_headers(r.headers)
        except requests.RequestException as exc:
            raise DownloadError(f"{shown}: download failed: {type(exc).__name__}") from None

    return fetch


def _where(catalog_source: str, cat: Catalog, path: str) -> str:
    """Where a package is fetched from: baseLocation, else beside the catalog."""
    base = cat.manifest.base_location.strip()
    if base:
        base = base if "://" in base else f"https://{base}"
        return f"{base.rstrip('/')}/{path.lstrip('/')}"
    if "://" in catalog_source:
        return urljoin(catalog_source, path)
    return str(Path(cat.source).parent / path)


class Mirror:
    def __init__(
        self,
        to: Path,
        opts: MirrorOptions,
        trust: TrustStore | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.to = to
        self.opts = opts
        self.trust = trust or TrustStore()
        self.progress: Progress = progress or _NoProgress()
        self.fetch_http = _http_fetcher(opts.ca_bundle)
        self.state = MirrorState(to)
        self.warnings: list[str] = []

    def _fetch(self, src: str, rel: str, part: Path, cap: int,
               since: Validators) -> tuple[Validators | None, Digests]:  # fmt: skip
        """Download (or copy) into `part`, resuming what a previous run left there; the
        answer's validators (None: 304) and the digests of the whole file as written."""
        offset = part.stat().st_size if part.is_file() else 0
        if offset > cap:
            part.unlink()
            offset = 0
        hashing = _Hashing()

        def on_bytes(block: bytes) -> None:
            hashing.update(block)
            self.progress.advance(len(block))

        if "://" not in src:
            got: Validators | None = _copy_local(
                src, part, cap, offset, Validators(), since, on_bytes
            )
        else:
            resume = self.state.partial_validators(rel)
            got = self.fetch_http(src, part, cap, offset, resume, since, on_bytes)
            self.state.started(rel, got)
        return got, hashing.digests()

    def _verdict(self, path: Path) -> Verdict | None:
        return None if self.opts.signatures == "off" else verify_file(path, self.trust)

    def _matches(self, dest: Path, comp: SoftwareComponent) -> Verdict | bool | None:
        """The verdict when `dest` is already the package (size, MD5, signature); else False."""
        if not dest.is_file():
            return False
        try:
            verify_against_component(dest, comp)
        except FwupdateError:
            return False
        verdict = self._verdict(dest)
        return verdict if verdict is None or verdict.ok else False

    def _since(self, rel: str, dest: Path) -> Validators:
        """The validators to ask the server with, when DIR still holds what they describe."""
        validators, md5, size = self.state.kept(rel)
        if md5 is None or size != dest.stat().st_size or file_digests(dest).md5 != md5:
            return Validators()
        return validators

    def package(self, src: str, comp: SoftwareComponent) -> MirrorItem:
        rel = normalize_name(comp.path.replace("\\", "/"))
        dest = self.to / rel
        same = self._matches(dest, comp)
        if same is not False and (comp.hash_md5 or "://" not in src):
            self.progress.advance(comp.size or 0)  # the signed catalog's MD5 is the validator
            return _unchanged(comp, same)
        since = self._since(rel, dest) if same is not False else Validators()
        part = self.state.partial / rel
        part.parent.mkdir(parents=True, exist_ok=True)
        try:
            got, digests = self._fetch(src, rel, part, comp.size or self.opts.max_bytes, since)
            if got is None:  # 304: the server still has the file DIR holds
                return _unchanged(comp, same, "not modified (304)")
            check = verify_against_component(part, comp, digests=digests)
            verdict = self._with_sign(src, rel, part)
        except DownloadError as exc:
            return MirrorItem(comp.path, "skipped", f"{exc} (resumed by the next run)")
        except (FwupdateError, OSError) as exc:
            self._discard(rel, part)
            return MirrorItem(comp.path, "skipped", str(exc))
        if verdict is not None and not verdict.ok:
            if self.opts.signatures == "require":
                self._discard(rel, part)
                return MirrorItem(comp.path, "skipped", verdict.line())
            self.warnings.append(f"UNVERIFIED: {verdict.line()}")
        self._place(part, dest)
        self.state.placed(rel, got, check.md5, check.size)
        return MirrorItem(comp.path, "fetched", size=check.size,
                          signature=verdict.line() if verdict else "")  # fmt: skip

    def _discard(self, rel: str, part: Path) -> None:
        part.unlink(missing_ok=True)
        signature_path(part).unlink(missing_ok=True)
        self.state.forget(rel)

    def _place(self, part: Path, dest: Path) -> None:
        """Move a verified package (and its .sign) into DIR: whole files only."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if signature_path(part).is_file():
            os.replace(signature_path(part), signature_path(dest))
        os.replace(part, dest)

    def _with_sign(self, src: str, rel: str, part: Path) -> Verdict | None:
        if self.opts.signatures == "off":
            return None
        with part.open("rb") as f:
            is_pe = f.read(2) == b"MZ"
        if not is_pe:
            sign = signature_path(part)
            sign.unlink(missing_ok=True)
            try:
                self._fetch(src + ".sign", rel + ".sign", sign, SIGN_CAP, Validators())
            except BadInputError:
                sign.unlink(missing_ok=True)  # missing: the verdict says so
            finally:
                self.state.forget(rel + ".sign")  # small: never resumed
        return verify_file(part, self.trust)


def _unchanged(comp: SoftwareComponent, same: Verdict | bool | None, why: str = "") -> MirrorItem:
    return MirrorItem(comp.path, "unchanged", why, size=comp.size,
                      signature=same.line() if isinstance(same, Verdict) else "")  # fmt: skip


def _load(source: str, opts: MirrorOptions) -> tuple[Catalog, bytes]:
    """The catalog and its plain bytes, downloaded once (conditionally) for a URL."""
    path = Path(source)
    if "://" in source:
        path = fetch_url(source, opts.cache_dir or default_cache_dir(), ca_bundle=opts.ca_bundle)
        cat = load_catalog(str(path), cache_dir=opts.cache_dir)
        cat = dataclasses.replace(cat, source=redact_url(source))
    else:
        cat = load_catalog(source, cache_dir=opts.cache_dir)
        path = Path(cat.source)
    data = path.read_bytes()
    return cat, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def mirror(
    source: str,
    to: Path,
    opts: MirrorOptions,
    *,
    iso: Path | None = None,
    trust: TrustStore | None = None,
    progress: Progress | None = None,
    choose: Choose | None = None,
) -> MirrorResult:
    """Build (or refresh) the verified repository `to` from the catalog at `source`; `choose`
    picks the components (default: those for `opts.system_ids`)."""
    opts = dataclasses.replace(opts, cache_dir=opts.cache_dir or default_cache_dir())
    cat, raw = _load(source, opts)
    m = Mirror(to, opts, trust, progress)
    cat_line = "not checked (signatures = off)"
    if opts.signatures != "off":
        verdict = catalog_signature(
            cat, source, trust=m.trust, cache_dir=opts.cache_dir, ca_bundle=opts.ca_bundle
        )
        if opts.signatures == "require" and not verdict.ok:
            raise SignatureError(verdict.line() + ' (signatures = "require"; nothing mirrored)')
        if not verdict.ok:
            m.warnings.append(f"UNVERIFIED: {verdict.line()}")
        cat_line = verdict.line()
    comps = tuple(cat.components)
    sel = choose(comps) if choose is not None else BySystem.of(comps, opts.system_ids)
    wanted = list(sel.kept)
    m.warnings.extend(sel.notes)
    if not wanted:
        raise BadInputError(
            f"{cat.source}: no component for system id(s) {', '.join(sorted(opts.system_ids))}"
        )
    for c in wanted:
        reason = unsafe_name_reason(c.path.replace("\\", "/"))
        if reason:
            raise BadInputError(f"{cat.source}: component path {c.path!r}: {reason}")
    to.mkdir(parents=True, exist_ok=True)
    m.progress.begin(sum(c.size or 0 for c in wanted), len(wanted))
    try:
        with ThreadPoolExecutor(max_workers=max(1, opts.concurrency)) as pool:
            items = list(pool.map(lambda c: m.package(_where(source, cat, c.path), c), wanted))
    finally:
        m.state.save()
    kept = [i.path for i in items if i.status != "skipped"]
    items += [MirrorItem(path, "left out", why) for path, why in sel.left_out]
    rewritten = rewrite_catalog(raw, base_location="", keep_paths=kept)
    catalog = to / "Catalog.xml"
    _write_bytes_atomic(to / "Catalog.original.xml", raw)
    original_sign = signature_path(Path(cat.source)) if "://" not in source else None
    if original_sign is not None and original_sign.is_file():
        shutil.copyfile(original_sign, to / "Catalog.original.xml.sign")
    _write_bytes_atomic(catalog, rewritten.data)
    iso_out = None
    if iso is not None:
        from fwupdate.repo.iso_build import build_update_iso

        iso_out = str(build_update_iso(to, iso))
    return MirrorResult(
        str(to), str(catalog), cat_line, tuple(items), tuple(m.warnings), iso_out,
        sel.other_systems,
    )


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as f:
        f.write(data)
