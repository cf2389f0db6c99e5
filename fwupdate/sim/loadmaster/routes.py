"""Every command of the simulated LoadMaster API (`/access/<command>`), declared in one place.

Kemp's API v1 does not care about the HTTP method, so each row takes ANY; the handlers are the
unit's public `cmd_*` methods (unit.py).  The units get `API` from the device factory
(fwupdate/sim/loadmaster/__init__.py); `listapi` answers the commands of this table in order.
A command declared twice raises DuplicateRoute.
"""

from __future__ import annotations

from fwupdate.sim.loadmaster.unit import LoadMasterUnit, UnitCommand
from fwupdate.sim.routes import ANY, Route, RouteTable

U = LoadMasterUnit


def _cmd(name: str, handler: UnitCommand) -> Route[UnitCommand]:
    return Route(ANY, f"/access/{name}", handler)


API_ROUTES: tuple[Route[UnitCommand], ...] = (
    _cmd("get", U.cmd_get),
    _cmd("set", U.cmd_set),
    _cmd("getall", U.cmd_getall),
    _cmd("listapi", U.cmd_listapi),
    _cmd("installpatch", U.cmd_installpatch),
    _cmd("getpreviousversion", U.cmd_getpreviousversion),
    _cmd("restorepatch", U.cmd_restorepatch),
    _cmd("reboot", U.cmd_reboot),
    _cmd("shutdown", U.cmd_shutdown),
    _cmd("listvs", U.cmd_listvs),
    _cmd("showvs", U.cmd_showvs),
    _cmd("vstotals", U.cmd_vstotals),
    _cmd("stats", U.cmd_stats),
    _cmd("backup", U.cmd_backup),
    _cmd("licenseinfo", U.cmd_licenseinfo),
    _cmd("showiface", U.cmd_showiface),
    _cmd("addapikey", U.cmd_addapikey),
    _cmd("listapikeys", U.cmd_listapikeys),
    _cmd("delapikey", U.cmd_delapikey),
    _cmd("setlmcommsecret", U.cmd_setlmcommsecret),
)

API: RouteTable[UnitCommand] = RouteTable(API_ROUTES)
