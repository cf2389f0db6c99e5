"""Plain values the simulated iDRAC's state hands to its front-ends (Redfish, WS-Man, tests)."""

from __future__ import annotations

from dataclasses import dataclass


class Rejected(Exception):
    """An operation the iDRAC refuses at once: Redfish answers `status` with `message_id`,
    WS-Man answers ReturnValue 2 with the same MessageID."""

    def __init__(
        self,
        message_id: str,
        detail: str | None = None,
        *,
        status: int = 400,
        args: tuple[str, ...] = (),
        text: str | None = None,
    ) -> None:
        super().__init__(detail or message_id)
        self.message_id = message_id
        self.detail = detail
        self.status = status
        self.args_ = args
        self.text = text  # the whole message text, where the device words it per case


@dataclass(frozen=True)
class Identity:
    name: str  # simulator device name
    model: str  # "PowerEdge R320"
    system_id: str  # "04F7"
    generation: int  # 7, 8, 9
    manager_model: str  # "12G Monolithic"
    firmware_version: str  # iDRAC
    lc_version: str
    bios_version: str
    service_tag: str
    express_service_code: str
    board_serial: str  # SerialNumber (PPID-style, not the service tag)
    uuid: str
    mac: str  # iDRAC MAC
    host_mac: str  # LOM MAC (NIC names)
    power_state: str  # "On" | "Off"
    host_name: str


@dataclass(frozen=True)
class InventoryItem:
    """One firmware inventory entry (Redfish member, WS-Man DCIM_SoftwareIdentity)."""

    id: str  # Redfish member id: Installed-159-2.4.2[__BIOS.Setup.1-1]
    state: str  # Installed | Previous | Available
    key: str  # component key ("bios")
    name: str
    component_id: str
    version: str
    updateable: bool
    component_type: str
    fqdd: str
    instance_id: str  # WS-Man InstanceID: DCIM:INSTALLED#741__BIOS.Setup.1-1
    reboot: str  # HOST | NONE | IDRAC
    vendor_id: str | None = None
    device_id: str | None = None
    sub_vendor_id: str | None = None
    sub_device_id: str | None = None


LC_STATUS_CODES = {
    "Ready": 0,
    "NotInitialized": 1,
    "ReloadingData": 2,
    "Disabled": 3,
    "InRecovery": 4,
    "InUse": 5,
}
SERVER_STATUS_CODES = {
    "PoweredOff": 0,
    "InPOST": 1,
    "OutOfPOST": 2,
    "CollectingSystemInventory": 3,
    "AutomatedTaskExecution": 4,
    "LCUnifiedServerConfigurator": 5,
}


@dataclass(frozen=True)
class LcStatus:
    """GetRemoteServicesAPIStatus (idrac-redfish.md §6, idrac-wsman.md §2.10)."""

    status: str  # Ready | NotReady (roll-up)
    lc_status: str  # Ready | ReloadingData | InUse | ...
    server_status: str  # PoweredOff | InPOST | OutOfPOST | CollectingSystemInventory | ...
    rt_status: str  # Ready | NotReady

    @property
    def ready(self) -> bool:
        return self.status == "Ready" and self.lc_status == "Ready"

    def codes(self) -> dict[str, int]:
        """The WS-Man integer form: Status/RTStatus 0|1, LCStatus 0-5, ServerStatus 0-5."""
        return {
            "Status": 0 if self.status == "Ready" else 1,
            "LCStatus": LC_STATUS_CODES.get(self.lc_status, 1),
            "ServerStatus": SERVER_STATUS_CODES.get(self.server_status, 2),
            "RTStatus": 0 if self.rt_status == "Ready" else 1,
        }

    @property
    def message_id(self) -> str:
        return "LC061" if self.ready else "LC060"
