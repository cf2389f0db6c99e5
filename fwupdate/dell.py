"""Dell's own identifiers in one home: component ids, message ids, job ids, image suffixes.

The client side (idrac, plan, dup, run) reads them from here; it imports nothing.  The simulator
keeps its own copies on purpose (it is the device side and imports nothing of fwupdate).
Sources: docs/reference/catalog-and-dup.md (component ids), idrac-redfish.md and idrac-wsman.md
(message ids, job ids).
"""

from __future__ import annotations

# -- components ------------------------------------------------------------------------------
IDRAC_COMPONENT_ID = "25227"  # "iDRAC with Lifecycle Controller" (catalog-and-dup.md §1.7)
BIOS_COMPONENT_ID = "159"  # "System BIOS"
IDRAC_IMAGE_SUFFIXES = (".exe", ".d7", ".d9")  # an iDRAC never takes a Linux .BIN

# -- jobs ------------------------------------------------------------------------------------
JID_CLEARALL = "JID_CLEARALL"  # DeleteJobQueue: every job (also the pseudo job LC lists a while)
JID_CLEARALL_FORCE = "JID_CLEARALL_FORCE"  # DellJobService (iDRAC9+): also running jobs

# -- message ids -----------------------------------------------------------------------------
SCHEDULED_MESSAGE_IDS = frozenset({"JCP001"})  # a job that waits for its host reboot
SESSION_CAP_IDS = frozenset({"RAC0218"})  # Redfish: the session cap (about 8) is reached
# Redfish answers that mean "busy, try again later" (the session cap is one of them).
REDFISH_BUSY_IDS = frozenset({"RAC0218", "RAC0679", "LC068", "SYS518"})
# WS-Man method outputs that mean "busy, try again later" (LC or the job queue is busy).
WSMAN_BUSY_IDS = frozenset({"RED023", "JCP024", "LC060", "SUP019", "RAC0679", "LC068"})
# LC refused an update before any job was made for it ("pending configuration job", "a job
# operation is already running"): sending the update again once LC is ready is safe.
LC_BUSY_IDS = frozenset({"LC068", "RAC0679"})
UNSUPPORTED_IDS = frozenset({"SYS402"})  # 405: the service/action does not exist here
REPO_NOTHING_TO_DO = "SUP029"  # repository update: the server already matches the catalog
REPO_NOT_RUN_YET = "SUP028"  # GetRepoBasedUpdateList before any InstallFromRepository
ALREADY_IN_POWER_STATE = "PSU501"  # 409: "Server is already powered ON." / "... OFF."
