"""Push a firmware image to an iDRAC and start its installation.

Push (the only 12G Redfish path, also valid later): GET the push target (HttpPushUri, or the
FirmwareInventory collection on iDRAC7/8) for its ETag, then POST one multipart part named
`file`, streamed from disk, with `If-Match` = that ETag exactly as received (iDRAC8 sends it
unquoted) -> 201 and the `Available-...` URI.  A 412 (the collection changed in between) is
retried once with a fresh ETag; nothing else is re-sent.

MultipartUpload (iDRAC9 >= 4.40, idrac-redfish.md §4.3): one POST to `MultipartHttpPushUri` with
the parts `UpdateParameters` (JSON: Targets [], `@Redfish.OperationApplyTime`) and `UpdateFile`
(streamed) -> 202 and the Task/JID; no ETag, no second request.

Install: DMTF `SimpleUpdate {ImageURI}` (the job waits for a host reboot when the component
needs one) or Dell `DellUpdateService.Install {SoftwareIdentityURIs, InstallUpon}` -> JID.
Action POSTs never carry If-Match (iDRAC10 answers 412 to it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from fwupdate.errors import BadInputError, DeviceError, UnsupportedOperationError
from fwupdate.idrac.job_models import JobRef, find_jid
from fwupdate.idrac.models import Capabilities
from fwupdate.idrac.redfish import errors as rerr
from fwupdate.idrac.redfish.transport import RedfishResponse, RedfishTransport

log = logging.getLogger(__name__)

InstallMethod = Literal["simple", "dell"]
INSTALL_UPON = ("Now", "NowAndReboot", "NextReboot")
_INSTALL_UPON_ALIASES = {"OnReset": "NextReboot", "Immediate": "Now"}
UPLOAD_BASE_TIMEOUT = 120.0  # real seconds, plus 2 s per MB (DMTF Tacklebox's heuristic)


def _check_image(image: Path) -> None:
    if not image.is_file():
        raise BadInputError(f"image {image} does not exist or is not a file")
    if image.suffix.lower() == ".bin":
        raise BadInputError(
            f"{image.name}: iDRACs accept no Linux .BIN package; use the Windows .EXE "
            "Dell Update Package (or the bare firmimg.d7/.d9 image inside it)"
        )


def push_image(t: RedfishTransport, caps: Capabilities, image: Path) -> str:
    """Upload `image`; returns the `Available-...` URI to install from."""
    step = f"push {image.name}"
    _check_image(image)
    target = caps.http_push_uri
    if not caps.redfish_update or not target:
        raise UnsupportedOperationError(
            "this iDRAC offers no Redfish HTTP push (iDRAC7/8 need firmware >= 2.60.60.60)",
            host=t.host,
            step=step,
        )
    size_mb = image.stat().st_size / 1e6
    read_timeout = max(t.timeout, UPLOAD_BASE_TIMEOUT + 2.0 * size_mb)
    resp: RedfishResponse | None = None
    for attempt in (1, 2):
        etag = t.get(target, step=f"{step}: read ETag").etag
        headers = {"If-Match": etag} if etag else {}
        resp = t.upload(target, image, step=step, headers=headers, read_timeout=read_timeout)
        if resp.status == 412 and attempt == 1:
            log.info("%s: %s: 412 (ETag changed), reading it again", t.name, step)
            continue
        break
    assert resp is not None
    if not resp.ok:
        raise rerr.http_error(
            resp.status, resp.body, host=t.host, step=step, method="POST", path=target
        )
    body = resp.json()
    uri = resp.location
    if not uri:
        odata = body.get("@odata.id")
        ident = body.get("Id")
        if isinstance(odata, str) and odata:
            uri = odata
        elif isinstance(ident, str) and ident:
            uri = f"{(caps.firmware_inventory_uri or target).rstrip('/')}/{ident}"
    if not uri:
        raise DeviceError(
            f"the iDRAC accepted the upload (HTTP {resp.status}) but named no Available entry",
            host=t.host,
            step=step,
        )
    log.info("%s: pushed %s -> %s", t.name, image.name, uri)
    return uri


APPLY_TIMES = ("Immediate", "OnReset")


def multipart_push(
    t: RedfishTransport, caps: Capabilities, image: Path, *, apply_time: str = "OnReset"
) -> JobRef:
    """Upload and install `image` in one MultipartUpload request; returns its job."""
    step = f"multipart push {image.name}"
    _check_image(image)
    target = caps.multipart_push_uri
    if not target:
        raise UnsupportedOperationError(
            "this iDRAC offers no MultipartHttpPushUri (iDRAC9 >= 4.40); use HTTP push",
            host=t.host,
            step=step,
        )
    if apply_time not in APPLY_TIMES:
        raise BadInputError(f"OperationApplyTime {apply_time!r}: use Immediate or OnReset")
    params = json.dumps({"Targets": [], "@Redfish.OperationApplyTime": apply_time, "Oem": {}})
    size_mb = image.stat().st_size / 1e6
    resp = t.upload(
        target,
        image,
        step=step,
        field_name="UpdateFile",
        part_type="application/octet-stream",
        read_timeout=max(t.timeout, UPLOAD_BASE_TIMEOUT + 2.0 * size_mb),
        before=(("UpdateParameters", (None, params, "application/json")),),
    )
    if not resp.ok:
        raise rerr.http_error(
            resp.status, resp.body, host=t.host, step=step, method="POST", path=target
        )
    ref = job_ref_from(resp, host=t.host, step=step)
    log.info("%s: multipart push %s -> %s", t.name, image.name, ref.jid)
    return ref


def normalize_install_upon(value: str) -> str:
    v = _INSTALL_UPON_ALIASES.get(value, value)
    if v not in INSTALL_UPON:
        raise BadInputError(
            f"InstallUpon {value!r}: use one of {', '.join(INSTALL_UPON)} (OnReset = NextReboot)"
        )
    return v


def install(
    t: RedfishTransport,
    caps: Capabilities,
    image_uri: str,
    *,
    method: InstallMethod = "simple",
    install_upon: str = "NowAndReboot",
    transfer_protocol: str | None = None,
) -> JobRef:
    """Start installing `image_uri` (an Available entry, or a remote URL for a pull)."""
    step = f"install ({method})"
    if method == "dell":
        target = caps.dell_install_uri
        if not target:
            raise UnsupportedOperationError(
                "this iDRAC does not list DellUpdateService.Install; use SimpleUpdate",
                host=t.host,
                step=step,
            )
        upon = normalize_install_upon(install_upon)
        body: dict[str, object] = {"SoftwareIdentityURIs": [image_uri], "InstallUpon": upon}
    else:
        target = caps.simple_update_uri
        if not target:
            raise UnsupportedOperationError(
                "this iDRAC does not list UpdateService.SimpleUpdate", host=t.host, step=step
            )
        body = {"ImageURI": image_uri}
        if transfer_protocol:
            allowed = caps.simple_update_protocols
            if transfer_protocol not in allowed:
                raise UnsupportedOperationError(
                    f"SimpleUpdate cannot pull over {transfer_protocol} here "
                    f"(allowed: {', '.join(allowed) or 'none: push the image instead'})",
                    host=t.host,
                    step=step,
                )
            body["TransferProtocol"] = transfer_protocol
    resp = t.post(target, body, step=step)
    return job_ref_from(resp, host=t.host, step=step)


def job_ref_from(resp: RedfishResponse, *, host: str, step: str) -> JobRef:
    """The JID an action answer names: `Location` (Task URI), else the body."""
    location = resp.location
    jid = find_jid(location)
    body = resp.json()
    if jid is None:
        ident = body.get("Id")
        jid = find_jid(ident if isinstance(ident, str) else None) or find_jid(resp.text)
    if jid is None:
        raise DeviceError(
            f"the iDRAC accepted the request (HTTP {resp.status}) but returned no job id",
            host=host,
            step=step,
        )
    return JobRef(jid=jid, task_uri=location if location and jid in location else None)
