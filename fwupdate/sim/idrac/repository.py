"""Repository update on the simulated iDRAC9: DellSoftwareInstallationService.InstallFromRepository
and GetRepoBasedUpdateList (idrac-redfish.md §4.4, idrac-wsman.md §2.12).

InstallFromRepository creates a `RepositoryUpdate` job at once (202), then in a thread really
fetches `<ShareType>://<IPAddress>/<ShareName>/<CatalogFile>` and the applicable packages over
HTTP(S) (loopback only; the share's certificate is not verified, as "IgnoreCertWarning On"),
checks each against the catalog's hashMD5 and creates the update jobs (repo_apply.py).  With
`RebootNeeded` the host is rebooted once so staged jobs run.  Failures (ids: docs/delivery.md):

- catalog unreachable → job Failed SUP0534; unreadable → SUP0505;
- catalog `baseLocation` naming another host (not rewritten) → packages come from there:
  unreachable → RED006, exactly the mirror problem of catalog-and-dup.md §1.3;
- package 404 → RED132, other download errors → RED006, MD5 mismatch → RED007;
- nothing applicable → job Completed with SUP029, and GetRepoBasedUpdateList answers 400 SUP029.

GetRepoBasedUpdateList before any InstallFromRepository → 400 SUP028; afterwards 200
`{"PackageList": "<CIM-XML>"}` of `DCIM_RepoUpdateSWID` instances with JobID.
NFS/CIFS/FTP/TFTP shares are answered 400 SIM001 (not simulated).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import ssl
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fwupdate.sim.http import Response
from fwupdate.sim.idrac import redfish_views as v
from fwupdate.sim.idrac.messages import extended_info
from fwupdate.sim.idrac.model import Rejected
from fwupdate.sim.idrac.redfish import Call, RedfishService
from fwupdate.sim.idrac.repo_apply import Selected, applicable, stage
from fwupdate.sim.idrac.sim_catalog import CatalogProblem, Package, parse_catalog
from fwupdate.sim.idrac.state import IdracState

MAX_PACKAGE = 4 * 1024**3
FETCH_TIMEOUT = 30.0

@dataclass
class RepoRun:
    job_id: str
    url: str
    apply: bool
    finished: bool = False
    selected: list[Selected] = field(default_factory=list)


_RUNS: weakref.WeakKeyDictionary[IdracState, RepoRun] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_to_file(url: str, dest_dir: Path, *, limit: int = MAX_PACKAGE) -> tuple[Path, str]:
    """GET url into a temporary file; (path, md5).  Raises CatalogProblem(RED132/RED006)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CatalogProblem("RED006", f"cannot download {url}: unsupported location")
    if not is_loopback(parts.hostname):
        raise CatalogProblem(
            "RED006", f"cannot reach {parts.hostname} (the simulator fetches from loopback only)"
        )
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # IgnoreCertWarning: the share's certificate is not checked
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".repo-")
    md5 = hashlib.md5(usedforsecurity=False)
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "iDRAC-sim"})  # noqa: S310
        with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT, context=ctx) as resp, \
                os.fdopen(fd, "wb") as out:  # noqa: S310
            total = 0
            while chunk := resp.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise CatalogProblem("RED006", f"{url}: larger than {limit} bytes")
                md5.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        os.unlink(tmp)
        msg_id = "RED132" if exc.code == 404 else "RED006"
        raise CatalogProblem(msg_id, f"{url}: HTTP {exc.code}") from None
    except CatalogProblem:
        os.unlink(tmp)
        raise
    except (OSError, ValueError) as exc:
        os.unlink(tmp)
        raise CatalogProblem("RED006", f"{url}: {exc}") from None
    return Path(tmp), md5.hexdigest()


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise Rejected("ActionParameterValueNotInList", f"{name}={value!r}")


def share_url(body: dict[str, Any]) -> str:
    share_type = str(body.get("ShareType") or "").upper()
    ip = body.get("IPAddress")
    if not isinstance(ip, str) or not ip:
        raise Rejected("PropertyMissing", args=("IPAddress",))
    if share_type in ("NFS", "CIFS", "FTP", "TFTP"):
        raise Rejected("SIM001", f"{share_type} repositories are not simulated")
    if share_type not in ("HTTP", "HTTPS"):
        raise Rejected("ActionParameterValueNotInList", f"ShareType={share_type!r}")
    share = str(body.get("ShareName") or "").strip("/")
    catalog = str(body.get("CatalogFile") or "Catalog.xml").lstrip("/")
    path = f"/{share}/{catalog}" if share else f"/{catalog}"
    return f"{share_type.lower()}://{ip}{urllib.parse.quote(path)}"


def install_from_repository(st: IdracState, body: dict[str, Any]) -> str:
    """Start a repository update; returns the RepositoryUpdate job id."""
    url = share_url(body)
    apply = _flag(body.get("ApplyUpdate"), "ApplyUpdate", True)
    reboot = _flag(body.get("RebootNeeded"), "RebootNeeded", False)
    jid = st.start_repository_job(url)
    run = RepoRun(jid, url, apply)
    with _LOCK:
        _RUNS[st] = run
    threading.Thread(
        target=_run, args=(st, run, reboot), name=f"sim-{st.name}-repo", daemon=True
    ).start()
    return jid


def _run(st: IdracState, run: RepoRun, reboot: bool) -> None:
    work = st.workdir / "repository"
    try:
        try:
            path, _md5 = fetch_to_file(run.url, work, limit=256 * 1024 * 1024)
        except CatalogProblem as exc:
            st.emit("repository_failed", job=run.job_id, message_id="SUP0534", detail=exc.detail)
            st.finish_job(run.job_id, "SUP0534", exc.detail)
            return
        try:
            catalog = parse_catalog(path.read_bytes())
        except CatalogProblem as exc:
            st.finish_job(run.job_id, exc.message_id, exc.detail)
            return
        finally:
            path.unlink()
        selected = applicable(st, catalog)
        run.selected = selected
        st.emit(
            "repository_catalog",
            job=run.job_id,
            url=run.url,
            packages=len(catalog.packages),
            applicable=[s.package.path for s in selected],
            base_location=catalog.base_location,
        )
        if not selected:
            st.finish_job(run.job_id, "SUP029")
            return
        if not run.apply:
            st.finish_job(run.job_id, "RED001")
            return
        base = run.url.rsplit("/", 1)[0] + "/"
        if catalog.base_location:
            proto = (catalog.access_protocols or (urllib.parse.urlsplit(run.url).scheme,))[0]
            base = f"{proto.lower()}://{catalog.base_location.strip('/')}/"

        def fetch(p: Package) -> Path:
            tmp, md5 = fetch_to_file(base + urllib.parse.quote(p.path), work)
            if p.md5 and md5 != p.md5:
                tmp.unlink()
                raise CatalogProblem(
                    "RED007", f"{p.path}: MD5 {md5} does not match the catalog's {p.md5}"
                )
            return tmp

        result = stage(st, selected, fetch, source="repository", reboot=reboot)
        for path_, msg_id, detail in result.failures:
            st.emit("repository_package_failed", job=run.job_id, package=path_,
                    message_id=msg_id, detail=detail)
        if result.failures:
            first = result.failures[0]
            st.finish_job(run.job_id, first[1], f"{first[0]}: {first[2]}")
        else:
            st.finish_job(run.job_id, "RED001")
    finally:
        run.finished = True


# --- GetRepoBasedUpdateList --------------------------------------------------------------------


def _prop(name: str, value: str) -> str:
    return f'<PROPERTY NAME="{name}" TYPE="string"><VALUE>{escape(value)}</VALUE></PROPERTY>'


def package_list(st: IdracState) -> str:
    with _LOCK:
        run = _RUNS.get(st)
    if run is None or not run.finished:
        raise Rejected("SUP028", "run InstallFromRepository first (and let its job finish)")
    if not run.selected:
        raise Rejected("SUP029")
    out = ['<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="0" PROTOCOLVERSION="1.0">'
           "<SIMPLEREQ>"]
    for s in run.selected:
        p = s.package
        props = "".join(
            (
                _prop("DisplayName", s.component_name),
                _prop("PackageName", os.path.basename(p.path)),
                _prop("PackagePath", p.path),
                _prop("PackageVersion", p.version),
                _prop("ComponentID", next(iter(p.component_ids), "")),
                _prop("ComponentType", "FRMW" if s.key != "bios" else "BIOS"),
                _prop("Criticality", p.criticality or "3"),
                _prop("RebootType", s.reboot),
                _prop("JobID", s.job_id),
                _prop("Target", f"DCIM:INSTALLED#{s.fqdd}"),
                _prop("ComponentInstalledVersion", s.installed),
            )
        )
        out.append(
            '<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="DCIM_RepoUpdateSWID">'
            f"{props}</INSTANCENAME></VALUE.NAMEDINSTANCE>"
        )
    out.append("</SIMPLEREQ></MESSAGE></CIM>")
    return "".join(out)


# --- Redfish front-end -------------------------------------------------------------------------


def sis_action(svc: RedfishService, c: Call) -> Response:
    """POST …/DellSoftwareInstallationService.InstallFromRepository | GetRepoBasedUpdateList."""
    st = svc.st
    if c.match["action"] == "InstallFromRepository":
        jid = install_from_repository(st, svc.request_body(c))
        return svc.reply(
            c,
            202,
            {"@Message.ExtendedInfo": [extended_info(c.f.idrac_registry, "SYS408")]},
            {"Location": f"{v.MANAGER}/Jobs/{jid}"},
        )
    body = {
        "@Message.ExtendedInfo": [extended_info(c.f.idrac_registry, "SYS408")],
        "PackageList": package_list(st),
    }
    return svc.reply(c, 200, body)
