"""Where a catalog comes from: a file, a repository folder, an SUU .iso, or an http(s) URL.

`resolve_source()` turns the string a user gives into a `CatalogSource`: a label for messages, an
identity for the cache (path + size + mtime, so an unchanged file is recognised without hashing
it) and a way to open the raw bytes.  ISOs are read with pycdlib (no mount, no root).  URLs are
downloaded into the cache folder with conditional GETs (ETag / Last-Modified).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol
from urllib.parse import urlsplit

from fwupdate.errors import (
    CatalogError,
    DeviceUnreachableError,
    FwupdateError,
    TLSVerificationError,
)
from fwupdate.logsafe import redact_url, redact_urls

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

CATALOG_NAMES = ("Catalog.xml", "catalog.xml", "Catalog.xml.gz", "catalog.xml.gz")
_CATALOG_NAMES_CI = tuple(n.casefold() for n in CATALOG_NAMES[::2])
_ISO_MAGIC_OFFSET = 0x8001
_COPY_BLOCK = 1 << 20
MAX_DOWNLOAD_BYTES = 4 << 30
DEFAULT_TIMEOUT = (15.0, 120.0)  # connect, read (seconds)


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class CatalogSource:
    """A catalog's bytes and how to name and recognise them."""

    label: str  # shown to people and stored in Catalog.source
    kind: str  # file | folder | iso | url
    identity: str  # changes whenever the bytes may have changed (path, size, mtime_ns)
    opener: Callable[[], contextlib.AbstractContextManager[BinaryIO]]

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        return self.opener()


def _stat_identity(kind: str, path: Path, extra: str = "") -> str:
    st = path.stat()
    return f"{kind}:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}{extra}"


def _file_opener(path: Path) -> Callable[[], contextlib.AbstractContextManager[BinaryIO]]:
    def opener() -> contextlib.AbstractContextManager[BinaryIO]:
        try:
            return open(path, "rb")
        except OSError as exc:
            raise CatalogError(f"cannot open catalog {path}: {exc.strerror or exc}") from None

    return opener


# --- folders --------------------------------------------------------------------------------


def find_catalog_in_folder(folder: Path) -> Path:
    """Catalog.xml / catalog.xml / Catalog.xml.gz in `folder` or its `repository` subfolder."""
    for base in (folder, *_children_named(folder, "repository")):
        for name in CATALOG_NAMES:
            candidate = base / name
            if candidate.is_file():
                return candidate
        for entry in _listdir(base):
            if entry.casefold() in _CATALOG_NAMES_CI and (base / entry).is_file():
                return base / entry
    raise CatalogError(
        f"no catalog in folder {folder} (looked for {', '.join(CATALOG_NAMES[::2])} there "
        "and in its repository/ subfolder, any letter case)"
    )


def _listdir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _children_named(folder: Path, name: str) -> list[Path]:
    return [folder / e for e in _listdir(folder) if e.casefold() == name and (folder / e).is_dir()]


# --- ISO images -----------------------------------------------------------------------------


def is_iso_image(path: Path) -> bool:
    """An ISO 9660 image has 'CD001' at byte 0x8001 (whatever the file is called)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(_ISO_MAGIC_OFFSET)
            return fh.read(5) == b"CD001"
    except OSError:
        return False


@dataclass(frozen=True)
class IsoEntry:
    """A file inside an ISO: which name space to use with pycdlib and the path in it."""

    facade: str  # rr_path | joliet_path | udf_path | iso_path
    path: str  # as pycdlib wants it, e.g. '/REPOSITORY/CATALOG.XML;1' for iso_path

    @property
    def display_path(self) -> str:
        return _strip_version(self.path)


def _strip_version(name: str) -> str:
    return re.sub(r";\d+$", "", name).rstrip(".") if ";" in name else name


@contextlib.contextmanager
def _open_iso(iso_path: Path) -> Iterator[Any]:
    import pycdlib  # only ISO sources need it

    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(iso_path))
    except Exception as exc:  # pycdlib raises PyCdlibException and plain errors
        raise CatalogError(f"{iso_path}: not a readable ISO image: {exc}") from None
    try:
        yield iso
    finally:
        iso.close()


def _iso_files(iso: Any) -> Iterator[IsoEntry]:
    """Every file of the image, in the richest name space it has (Rock Ridge, Joliet, UDF,
    then plain ISO 9660 names)."""
    if iso.has_rock_ridge():
        facade = "rr_path"
    elif iso.has_joliet():
        facade = "joliet_path"
    elif iso.has_udf():
        facade = "udf_path"
    else:
        facade = "iso_path"
    for dirpath, _dirs, files in iso.walk(**{facade: "/"}):
        for name in files:
            yield IsoEntry(facade, f"{dirpath.rstrip('/')}/{name}")


def _parent_name(path: str) -> str:
    parts = [p for p in _strip_version(path).split("/") if p]
    return parts[-2].casefold() if len(parts) >= 2 else ""


def find_iso_catalog(iso_path: Path) -> IsoEntry:
    """The catalog inside an SUU ISO: `repository/Catalog.xml` (any case), else the shallowest
    catalog.xml / catalog.xml.gz anywhere."""
    with _open_iso(iso_path) as iso:
        candidates = [
            e for e in _iso_files(iso)
            if _strip_version(e.path).rsplit("/", 1)[-1].casefold() in _CATALOG_NAMES_CI
        ]
    if not candidates:
        raise CatalogError(f"{iso_path}: no repository/Catalog.xml in this ISO image")
    candidates.sort(key=lambda e: (_parent_name(e.path) != "repository", e.path.count("/"),
                                   e.path.casefold().endswith(".gz"), e.path))
    return candidates[0]


def find_in_iso(iso_path: Path, file_name: str) -> IsoEntry | None:
    """A file of the image by name (case-insensitive); files in a `repository` folder first."""
    wanted = file_name.replace("\\", "/").rsplit("/", 1)[-1].casefold()
    with _open_iso(iso_path) as iso:
        found = [
            e for e in _iso_files(iso)
            if _strip_version(e.path).rsplit("/", 1)[-1].casefold() == wanted
        ]
    if not found:
        return None
    found.sort(key=lambda e: (_parent_name(e.path) != "repository", e.path.count("/"), e.path))
    return found[0]


@contextlib.contextmanager
def open_iso_member(iso_path: Path, entry: IsoEntry) -> Iterator[BinaryIO]:
    """Stream one file out of the image."""
    with _open_iso(iso_path) as iso:
        try:
            member = iso.open_file_from_iso(**{entry.facade: entry.path})
        except Exception as exc:
            raise CatalogError(f"{iso_path}: cannot open {entry.display_path}: {exc}") from None
        with member as fh:
            yield fh


def extract_from_iso(iso_path: Path, file_name: str, dest: Path) -> Path:
    """Copy the file called `file_name` out of the ISO to `dest` (a file path, or a folder to
    put it in), streamed and atomically.  Raises CatalogError when the image lacks it."""
    entry = find_in_iso(iso_path, file_name)
    if entry is None:
        raise CatalogError(f"{iso_path}: no file named {file_name!r} in this ISO image")
    target = dest / entry.display_path.rsplit("/", 1)[-1] if dest.is_dir() else dest
    with open_iso_member(iso_path, entry) as src:
        write_stream_atomically(src, target)
    return target


def write_stream_atomically(src: _Readable, target: Path, limit: int | None = None) -> str:
    """Copy `src` into `target` through a temp file in the same folder; returns the sha256."""
    import tempfile  # only when copying (ISO members, downloads): a file source never does

    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            total = 0
            while True:
                block = src.read(_COPY_BLOCK)
                if not block:
                    break
                total += len(block)
                if limit is not None and total > limit:
                    raise CatalogError(f"{target.name}: larger than {limit} bytes; refused")
                digest.update(block)
                out.write(block)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return digest.hexdigest()


# --- URLs -----------------------------------------------------------------------------------


def _download_dir(cache_dir: Path, url: str) -> Path:
    return cache_dir / "downloads" / hashlib.sha256(url.encode()).hexdigest()[:32]


def fetch_url(
    url: str,
    cache_dir: Path,
    *,
    ca_bundle: str | None = None,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> Path:
    """Download `url` into the cache (conditional GET when a copy exists); returns the file.

    TLS is always verified, against `ca_bundle` when given.  A 304 answer reuses the cached
    copy; a 200 whose bytes equal the cached copy keeps the old file (and its mtime, so the
    parsed-catalog cache still applies).
    """
    import requests  # only URL sources need it

    shown = redact_url(url)
    folder = _download_dir(cache_dir, url)
    meta_path = folder / "meta.json"
    name = os.path.basename(urlsplit(url).path) or "Catalog.xml"
    body = folder / re.sub(r"[^A-Za-z0-9._-]", "_", name)
    meta: dict[str, str] = {}
    if body.is_file():
        try:
            loaded = json.loads(meta_path.read_text("utf-8"))
            if isinstance(loaded, dict):
                meta = {k: v for k, v in loaded.items() if isinstance(v, str)}
        except (OSError, ValueError):
            meta = {}
    headers = {"Accept-Encoding": "identity"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]

    http = session or requests.Session()
    verify: bool | str = ca_bundle if ca_bundle else True
    try:
        response = http.get(url, headers=headers, stream=True, timeout=timeout, verify=verify)
    except requests.exceptions.SSLError as exc:
        raise TLSVerificationError(
            f"catalog download from {shown}: TLS verification failed ({_reason(exc)}); "
            "give the server's CA with --ca-bundle"
        ) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        from fwupdate.netcause import cause_in_words  # imports requests: URL sources only

        cached = _offline_copy(body, meta, shown, cause_in_words(exc))
        if cached is not None:
            return cached
        raise DeviceUnreachableError(
            f"catalog download from {shown} failed: {_reason(exc)}"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise CatalogError(f"catalog download from {shown} failed: {_reason(exc)}") from None

    with response:
        if response.status_code == 304 and body.is_file():
            log.info("catalog %s not modified; using the cached copy", shown)
            return body
        if response.status_code != 200:
            message = f"catalog download from {shown} failed: HTTP {response.status_code}"
            if response.status_code >= 500:
                cached = _offline_copy(body, meta, shown, f"HTTP {response.status_code}")
                if cached is not None:
                    return cached
                raise FwupdateError(message)
            raise CatalogError(message)
        previous = meta.get("sha256")
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / (body.name + ".new")
        try:
            digest = write_stream_atomically(_RawBody(response), staging, MAX_DOWNLOAD_BYTES)
        except requests.exceptions.RequestException as exc:
            raise DeviceUnreachableError(
                f"catalog download from {shown} broke off: {_reason(exc)}"
            ) from None
        if previous == digest and body.is_file():
            staging.unlink()
        else:
            os.replace(staging, body)
        new_meta = {
            "url": shown,
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
            "sha256": digest,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_json_atomically(meta_path, new_meta)
    return body


class _RawBody:
    """A file-like view of a streamed requests response body."""

    def __init__(self, response: requests.Response) -> None:
        self._chunks = response.iter_content(chunk_size=_COPY_BLOCK)

    def read(self, n: int = -1, /) -> bytes:
        return bytes(next(self._chunks, b""))


def _offline_copy(body: Path, meta: dict[str, str], shown: str, why: str) -> Path | None:
    """The server is down (no connection, timeout, 5xx): the cached copy of an earlier download,
    when there is one and it is intact (its bytes still have the digest recorded when it was
    fetched), with one warning line saying so.  TLS failures and 4xx answers never fall back:
    they say the URL or the trust is wrong, not that the server is away."""
    want = meta.get("sha256")
    if not want or not body.is_file():
        return None
    digest = hashlib.sha256()
    with open(body, "rb") as fh:
        for block in iter(lambda: fh.read(_COPY_BLOCK), b""):
            digest.update(block)
    if digest.hexdigest() != want:
        return None
    when = meta.get("fetched_at") or "an earlier run"
    log.warning("catalog server %s unreachable (%s); using the cached copy fetched %s",
                shown, why, when)
    return body


def _reason(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    text = redact_urls(text)
    return text[:300]


def _write_json_atomically(path: Path, data: dict[str, str]) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- dispatch -------------------------------------------------------------------------------


def resolve_source(
    source: str,
    *,
    cache_dir: Path,
    ca_bundle: str | None = None,
    allow_http: bool = False,
    session: requests.Session | None = None,
) -> CatalogSource:
    """Turn what the user gave (path, folder, .iso, URL) into a CatalogSource."""
    scheme = urlsplit(source).scheme.lower() if "://" in source else ""
    if scheme in ("http", "https"):
        if scheme == "http" and not allow_http:
            raise CatalogError(
                f"refusing plain-http catalog URL {redact_url(source)}: the catalog decides "
                "which packages and hashes are trusted; use https (or allow http explicitly)"
            )
        body = fetch_url(source, cache_dir, ca_bundle=ca_bundle, session=session)
        return CatalogSource(
            label=redact_url(source),
            kind="url",
            identity=_stat_identity("url", body, f":{redact_url(source)}"),
            opener=_file_opener(body),
        )
    if scheme:
        raise CatalogError(f"unsupported catalog URL scheme {scheme!r} (use https)")

    path = Path(source).expanduser()
    if not path.exists():
        raise CatalogError(f"catalog source not found: {source}")
    if path.is_dir():
        found = find_catalog_in_folder(path)
        return CatalogSource(
            label=str(found),
            kind="folder",
            identity=_stat_identity("file", found),
            opener=_file_opener(found),
        )
    if not path.is_file():
        raise CatalogError(f"catalog source is not a file or folder: {source}")
    if path.suffix.lower() == ".iso" or is_iso_image(path):
        entry = find_iso_catalog(path)

        def iso_opener() -> contextlib.AbstractContextManager[BinaryIO]:
            return open_iso_member(path, entry)

        return CatalogSource(
            label=f"{path}!{entry.display_path}",
            kind="iso",
            identity=_stat_identity("iso", path, f":{entry.path}"),
            opener=iso_opener,
        )
    return CatalogSource(
        label=str(path),
        kind="file",
        identity=_stat_identity("file", path),
        opener=_file_opener(path),
    )
