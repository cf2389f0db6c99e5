"""Frozen models of what an iDRAC tells us: identity, capabilities, firmware inventory.

The JSON form of `NodeInventory` is the `fwupdate inventory --format json` contract (issue 3) and
the saved-inventory input of `compliance --inventory` and `plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Generation(StrEnum):
    """iDRAC generation, decided from Manager.Model (e.g. "12G Monolithic"), never the version."""

    IDRAC7 = "iDRAC7"  # 12G (R320)
    IDRAC8 = "iDRAC8"  # 13G
    IDRAC9 = "iDRAC9"  # 14G-16G
    IDRAC10 = "iDRAC10"  # 17G
    UNKNOWN = "unknown"


class Transport(StrEnum):
    """How a device is talked to; a plan step's `transport` holds one of these values."""

    REDFISH = "redfish"
    WSMAN = "wsman"
    LOADMASTER = "loadmaster-api"  # the LoadMaster's REST API (plan steps on the appliance)


class Transfer(StrEnum):
    """How a push step hands one package to a Redfish iDRAC (docs/delivery.md); the plan's
    `[delivery] transfer` and a step's `transfer` param hold one of these values."""

    AUTO = "auto"  # the planner chooses (plan.delivery.choose_transfer); never sent
    HTTP_PUSH = "http-push"  # HttpPushUri + SimpleUpdate of the Available entry (§4.1)
    MULTIPART = "multipart"  # MultipartHttpPushUri, one request (§4.3, iDRAC9 >= 4.40)
    PULL = "pull"  # SimpleUpdate ImageURI = fwupdate's file server, per-run token (§4.2)
    DELL_INSTALL = "dell-install"  # HttpPushUri + DellUpdateService.Install (§4.2)


@dataclass(frozen=True)
class Capabilities:
    """What this iDRAC can do, detected from its answers, not assumed from its version."""

    redfish: bool = False  # a Redfish service root answered
    redfish_update: bool = False  # UpdateService with FirmwareInventory push usable
    http_push_uri: str | None = None
    multipart_push_uri: str | None = None
    simple_update_uri: str | None = None
    simple_update_protocols: tuple[str, ...] = ()  # pull protocols for SimpleUpdate ImageURI
    dell_install_uri: str | None = None  # DellUpdateService.Install target
    jobs_uri: str | None = None  # Dell Jobs collection (Manager.Links.Oem.Dell.Jobs)
    task_service_uri: str | None = None
    sessions_uri: str | None = None
    dell_oem_services: tuple[tuple[str, str], ...] = ()  # (name, uri) from Manager.Links.Oem.Dell
    manager_reset_types: tuple[str, ...] = ()
    system_reset_types: tuple[str, ...] = ()
    expand_supported: bool = False
    wsman: bool = False  # /wsman answered
    # Where things are (taken from links, Dell's well-known URIs only as a fallback).
    manager_uri: str | None = None
    system_uri: str | None = None
    update_service_uri: str | None = None
    firmware_inventory_uri: str | None = None
    dmtf_jobs_uri: str | None = None  # /redfish/v1/JobService/Jobs (iDRAC9 later, iDRAC10)

    def oem_service(self, name: str) -> str | None:
        return dict(self.dell_oem_services).get(name)


@dataclass(frozen=True)
class IdracIdentity:
    address: str
    generation: Generation
    firmware_version: str
    model: str  # Manager.Model, e.g. "12G Monolithic"
    redfish_version: str | None = None


@dataclass(frozen=True)
class SystemIdentity:
    model: str  # "PowerEdge R320"
    service_tag: str | None = None
    bios_version: str | None = None
    power_state: str | None = None
    system_id: str | None = None  # hex "04F7" where the iDRAC tells it (iDRAC9 OEM, WS-Man)


@dataclass(frozen=True)
class FirmwareComponent:
    id: str  # FirmwareInventory member id, e.g. Installed-25227-2.65.65.65
    name: str
    component_id: str | None  # SoftwareId / ComponentID ("0" or None when unknown)
    version: str
    updateable: bool = True
    state: str = "Installed"  # Installed / Previous / Current / Available
    fqdd: str | None = None
    vendor_id: str | None = None
    device_id: str | None = None
    sub_vendor_id: str | None = None
    sub_device_id: str | None = None
    component_type: str | None = None


@dataclass(frozen=True)
class NodeInventory:
    name: str
    idrac: IdracIdentity | None = None
    system: SystemIdentity | None = None
    components: tuple[FirmwareComponent, ...] = ()
    capabilities: Capabilities = field(default_factory=Capabilities)
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and self.idrac is not None
