"""Message ids the simulated iDRAC answers with, their texts, and the Redfish error body.

Sources are the domain notes (idrac-redfish.md §10, idrac-wsman.md §2.5-2.10).  Entries marked
`invented=True` have an id or a text that no public source gave us for this situation; they are
the simulator's choice and docs/simulator.md lists them.  Clients must not depend on their wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Msg:
    id: str
    text: str
    severity: str = "Warning"
    resolution: str = "No response action is required."
    invented: bool = False


_MSGS = (
    Msg("RED001", "Job completed successfully.", "Informational"),
    Msg("RED002", "Package successfully downloaded.", "Informational"),
    Msg("RED003", "Downloading the update package.", "Informational"),
    Msg("RED004", "Unable to complete the update job: the job was interrupted.", invented=True),
    Msg("RED005", "Unable to download the update package: the URI is invalid."),
    Msg("RED006", "Unable to download the update package from the remote location."),
    Msg("RED007", "Unable to verify Update Package signature.", "Critical"),
    Msg(
        "RED008",
        "Unable to extract the payload: the file is not a supported update package.",
        "Critical",
        "Use a Windows Dell Update Package (.EXE) or an iDRAC image (.d7/.d9).",
        invented=True,  # id from the omsdk registry ("cannot extract payload"), text ours
    ),
    Msg("RED014", "Job for this device is already present.", "Critical"),
    Msg("RED023", "Lifecycle Controller is in use. The job will start when it is free."),
    Msg("RED029", "A reboot is pending.", "Informational"),
    Msg("RED030", "Reboot is complete.", "Informational"),
    Msg("RAC004", "Invalid parameter value.", "Critical"),
    Msg("PSU501", "Server is already in the requested power state.", "Warning"),
    Msg("JCP022", "Invalid job ID.", "Critical"),
    Msg("JCP001", "Task successfully scheduled.", "Informational"),
    Msg("PR20", "Job in progress.", "Informational"),
    Msg(
        "SUP0518",
        "The update package is not applicable to this system or to any of its components.",
        "Critical",
        "Download the update package built for this system model and component.",
        invented=True,
    ),
    Msg("SUP011", "Invalid Job ID.", "Critical"),
    Msg("SUP020", "The specified job was deleted.", "Informational"),
    Msg("SUP024", "InstanceID value provided for the update operation is invalid", "Critical"),
    Msg(
        "SUP028",
        "The GetRepoBasedUpdateList method did not complete successfully.",
        "Critical",
        "Run InstallFromRepository before GetRepoBasedUpdateList.",
    ),
    Msg(
        "SUP0529",
        "Unable to delete the job because it is running.",
        invented=True,
    ),
    Msg(
        "SYS402",
        "Unable to run the method because the requested HTTP method is not allowed.",
        resolution="Enter a valid method and retry the operation.",
    ),
    Msg("SYS408", "Successfully created the update job.", "Informational", invented=True),
    Msg(
        "SYS442",
        "Unable to install because more than one image was specified in one request.",
        invented=True,  # id from the iDRAC9 4.20 guide, text ours
    ),
    Msg(
        "RAC0218",
        "The maximum number of user sessions is reached.",
        "Critical",
        "Close one or more sessions and retry the operation.",
    ),
    Msg(
        "RAC0679",
        "A job operation is already running. Retry the operation after the existing job is "
        "completed.",
        resolution="Wait for the current job operation to complete and retry the operation.",
    ),
    Msg(
        "LC068",
        "Unable to complete the operation because there are pending attribute changes or a "
        "configuration job is in progress.",
        resolution="Apply or cancel any pending attribute changes and retry the operation.",
    ),
    Msg("LC060", "Lifecycle Controller Remote Services is not ready.", "Informational"),
    Msg("LC061", "Lifecycle Controller Remote Services is ready.", "Informational"),
    Msg(
        "SIM001",
        "The operation is not implemented in the simulator.",
        resolution="See docs/simulator.md.",
        invented=True,
    ),
    # repository update and virtual media (repository.py, virtual_media.py)
    Msg(
        "SUP029",
        "Firmware versions on server match catalog, applicable updates are not present in the "
        "repository.",
        "Informational",
    ),
    Msg("SUP0505", "The catalog file is corrupt or not valid.", "Critical", invented=True),
    Msg("SUP0534", "The catalog file is not available on the share.", "Critical", invented=True),
    Msg("RED132", "The update package is not present at the remote location.", "Critical",
        invented=True),
    Msg("RAC0904", "The remote file location is not accessible or reachable.", "Critical"),
    # WS-Man OS deployment (wsman_osd.py)
    Msg("OSD1", "Successfully completed the operation.", "Informational"),
    Msg("OSD16", "Unable to mount the network share.", "Critical"),
    Msg("OSD21", "Unable to boot to the ISO image.", "Critical"),
    Msg("OSD28", "The hash value of the ISO image does not match.", "Critical"),
)
MESSAGES: dict[str, Msg] = {m.id: m for m in _MSGS}


def message(msg_id: str) -> Msg:
    """The registry entry; an unknown id (e.g. from a fault spec) gets a generic failure text."""
    bare = msg_id.rsplit(".", 1)[-1]
    return MESSAGES.get(
        bare, Msg(bare, f"The operation failed ({bare}).", "Critical", invented=True)
    )


# --- Redfish error bodies ----------------------------------------------------------------------

BASE_MESSAGES: dict[str, tuple[str, str]] = {
    # id -> (message, resolution), DMTF Base registry
    "GeneralError": (
        "A general error has occurred. See ExtendedInfo for more information.",
        "See ExtendedInfo for more information.",
    ),
    "InternalError": (
        "The request failed due to an internal service error.  The service is still operational.",
        "Resubmit the request.  If the problem persists, consider resetting the service.",
    ),
    "ResourceMissingAtURI": (
        "The resource at the URI %1 was not found.",
        "Place a valid resource at the URI or correct the URI and resubmit the request.",
    ),
    "InsufficientPrivilege": (
        "There are insufficient privileges for the account or credentials associated with the "
        "current session to perform the requested operation.",
        "Either abandon the operation or change the associated access rights and resubmit.",
    ),
    "NoValidSession": (
        "There is no valid session established with the implementation.",
        "Establish a session before attempting any operations.",
    ),
    "PreconditionFailed": (
        "The ETag supplied did not match the ETag required to change this resource.",
        "Try the operation again using the appropriate ETag.",
    ),
    "PropertyMissing": (
        "The property %1 is a required property and must be included in the request.",
        "Ensure that the property is in the request body and has a valid value.",
    ),
    "ActionParameterNotSupported": (
        "The parameter %1 for the action %2 is not supported on the target resource.",
        "Remove the parameter supplied and resubmit the request if the operation failed.",
    ),
    "ActionParameterValueNotInList": (
        "The value %1 for the parameter %2 in the action %3 is not in the list of acceptable "
        "values.",
        "Choose a value from the enumeration list and resubmit the request.",
    ),
    "MalformedJSON": (
        "The request body submitted was malformed JSON and could not be parsed.",
        "Ensure that the request body is valid JSON and resubmit the request.",
    ),
    "Success": ("Successfully Completed Request", "None"),
}


def _fill(text: str, args: tuple[str, ...]) -> str:
    for i, a in enumerate(args, start=1):
        text = text.replace(f"%{i}", a)
    return text


def extended_info(
    registry: str, msg_id: str, args: tuple[str, ...] = (), text: str | None = None
) -> dict[str, Any]:
    """One `@Message.ExtendedInfo` entry; `registry` is e.g. "IDRAC.1.6" or "Base.1.0"."""
    if registry.startswith("Base."):
        base_text, resolution = BASE_MESSAGES.get(msg_id, (text or msg_id, "None"))
        severity = "Critical"
        message_text = text or _fill(base_text, args)
        if msg_id == "Success":
            severity = "OK"
    else:
        m = message(msg_id)
        message_text, severity, resolution = text or m.text, m.severity, m.resolution
    return {
        "Message": message_text,
        "MessageArgs": list(args),
        "MessageArgs@odata.count": len(args),
        "MessageId": f"{registry}.{msg_id.rsplit('.', 1)[-1]}",
        "RelatedProperties": [],
        "RelatedProperties@odata.count": 0,
        "Resolution": resolution,
        "Severity": severity,
    }


def error_body(base_registry: str, infos: list[dict[str, Any]]) -> dict[str, Any]:
    """{"error": {"code": "Base.1.x.GeneralError", "message": ..., "@Message.ExtendedInfo": []}}"""
    return {
        "error": {
            "@Message.ExtendedInfo": infos,
            "code": f"{base_registry}.GeneralError",
            "message": BASE_MESSAGES["GeneralError"][0],
        }
    }
