"""Repository-mode and virtual-media delivery of firmware to one node (docs/delivery.md).

`run_repository_update` and `run_virtual_media_update` are whole steps for the CLI and the
executor: they take an `IdracFacade`, do the work, follow the device's jobs / versions with
bounded waits and return a `DeliveryResult`, or raise a FwupdateError naming host, step and
message id.
"""

from fwupdate.delivery.steps import (
    ComponentChange,
    DeliveryResult,
    expected_from_catalog,
    run_repository_update,
    run_virtual_media_update,
)

__all__ = [
    "ComponentChange",
    "DeliveryResult",
    "expected_from_catalog",
    "run_repository_update",
    "run_virtual_media_update",
]
