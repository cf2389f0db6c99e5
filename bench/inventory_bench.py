"""Inventory benchmark: 200 simulated iDRACs, 50 ms injected latency per request.

The parent process runs the simulator (SimulatedFleet, real loopback HTTPS, CA-verified); the
measured child runs `fwupdate.idrac.fleet_inventory.inventory_nodes` over the fleet file, so the
client and the simulator do not share an interpreter lock.  For each scenario it prints the wall
time, the requests per device (from each simulated device's `request_count`), the floor
(requests per device x latency x devices / concurrency: what perfect pipelining of the injected
latency would take) and the ratio to it.

Also measured: a raw baseline (plain `requests`, the same number of GETs per device on the same
fleet) to separate the client's own overhead from the simulator's per-request cost, and session
versus basic authentication (the read-only inventory uses basic: no session to open and close).

Targets: the R320 fleet (the appliance) within 1.10x the floor, its client CPU per device at most
1.3x the plain-requests baseline's (measured in the same run); requests per device at the minimum
each generation allows (service root, Manager, System, UpdateService, FirmwareInventory, plus one
GET per member on iDRAC7/8 where `$expand` is not trusted).

The simulator's HTTPS server sets TCP_NODELAY on accepted sockets: without it every response
would wait ~40 ms for the client's delayed ACK and the floor comparison would measure Nagle.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import BenchContext

MODULE = "bench.inventory_bench"
LATENCY = 0.05
CONCURRENCY = 20
TARGET_RATIO = 1.10
TARGET_CPU_RATIO = 1.3  # client CPU per device / plain requests' CPU per device, same run


# --- measured in children -----------------------------------------------------------------------


def child(task: str, args: list[str]) -> dict[str, Any]:
    if task == "inventory":
        return _inventory(Path(args[0]), int(args[1]), args[2])
    if task == "raw":
        return _raw(Path(args[0]), int(args[1]), args[2] == "expand")
    raise SystemExit(f"unknown task {task}")


def _inventory(fleet_file: Path, concurrency: int, auth: str) -> dict[str, Any]:
    from fwupdate.fleet.loader import load_fleet
    from fwupdate.idrac.fleet_inventory import inventory_nodes

    fleet = load_fleet(fleet_file)
    cpu = time.process_time()
    started = time.perf_counter()
    results = inventory_nodes(
        fleet.nodes(), concurrency=concurrency, auth="session" if auth == "session" else "basic"
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "ok": sum(1 for r in results if r.ok),
        "nodes": len(results),
        "errors": [e for r in results for e in r.errors][:3],
    }


def _raw(fleet_file: Path, concurrency: int, expand: bool) -> dict[str, Any]:
    """The same GETs with plain requests and no client logic: the simulator's own cost."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from fwupdate.fleet.loader import load_fleet
    from fwupdate.fleet.models import Node

    fleet = load_fleet(fleet_file)
    inventory = "/redfish/v1/UpdateService/FirmwareInventory"

    def work(node: Node) -> int:
        s = requests.Session()
        s.trust_env = False
        s.auth = ("root", "calvin")
        ca = str(node.idrac.tls.ca_bundle)

        def get(path: str) -> Any:
            return s.get(node.idrac.url + path, verify=ca, timeout=30).json()

        for path in (
            "/redfish/v1",
            "/redfish/v1/Managers/iDRAC.Embedded.1",
            "/redfish/v1/Systems/System.Embedded.1",
            "/redfish/v1/UpdateService",
        ):
            get(path)
        members = get(inventory + ("?$expand=*($levels=1)" if expand else ""))["Members"]
        if not expand:
            for m in members:
                get(m["@odata.id"])
        s.close()
        return 1

    cpu = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        ok = sum(pool.map(work, fleet.nodes()))
    return {"seconds": time.perf_counter() - started, "ok": ok,
            "cpu_seconds": time.process_time() - cpu}


# --- the parent: simulator + reporting --------------------------------------------------------


def _scenario(
    ctx: BenchContext,
    *,
    profile: str,
    devices: int,
    auths: tuple[str, ...],
    raw_baseline: bool,
    expand: bool,
    expected_requests: int | None,
    target: bool,
) -> dict[str, float]:
    from fwupdate.sim.fleet import DeviceSpec, FleetSpec, NodeSpec, SimulatedFleet

    spec = FleetSpec(
        standalone=tuple(
            NodeSpec(f"n{i:03d}", DeviceSpec(f"n{i:03d}-idrac", "idrac", profile))
            for i in range(devices)
        )
    )
    walls: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="fwupdate-bench-") as tmp,
        SimulatedFleet(spec, workdir=Path(tmp) / "sim", time_scale=1000.0) as sim,
    ):
        fleet_file = sim.write_fleet_file(Path(tmp) / "fleet.toml")
        for dev in sim.devices.values():
            dev.transport_faults.latency = LATENCY
        for auth in auths:
            for dev in sim.devices.values():
                dev.request_count = 0
            m = ctx.measure(MODULE, "inventory", [str(fleet_file), str(CONCURRENCY), auth])
            counts = [d.request_count for d in sim.devices.values()]
            per_device = sum(counts) / len(counts)
            floor = per_device * LATENCY * devices / CONCURRENCY
            ratio = m.seconds / floor
            walls[auth] = m.seconds
            label = f"{profile} x{devices}, {auth} auth, concurrency {CONCURRENCY}"
            ctx.figure(f"{label}: wall", f"{m.seconds:.2f} s")
            ctx.figure(
                "  requests per device / floor / ratio",
                f"{per_device:.1f} / {floor:.2f} s / {ratio:.2f}x",
            )
            ctx.figure(
                "  client CPU, nodes read",
                f"{m.result['cpu_seconds']:.2f} s, {m.result['ok']}/{m.result['nodes']}",
            )
            if m.result["ok"] != devices:
                ctx.target(f"{profile} {auth}: every node read", False, str(m.result["errors"]))
            if auth == "basic" and expected_requests is not None:
                ctx.target(
                    f"{profile}: requests per device at the generation's minimum",
                    per_device == expected_requests,
                    f"{per_device:.1f} (minimum {expected_requests})",
                )
            raw = None
            if auth == "basic" and raw_baseline:
                raw = ctx.measure(
                    MODULE,
                    "raw",
                    [str(fleet_file), str(CONCURRENCY), "expand" if expand else "walk"],
                )
            if auth == "basic" and target:
                # plain requests on the same fleet is the measured ceiling: what no client can
                # beat here (the simulator's own CPU and the GIL); shown, not counted as a pass
                ceiling = f"; measured ceiling: plain requests {raw.seconds / floor:.2f}x" \
                    if raw is not None else ""
                ctx.target(
                    f"{profile} x{devices}: wall <= {TARGET_RATIO}x floor",
                    ratio <= TARGET_RATIO,
                    f"{ratio:.2f}x ({m.seconds:.2f} s vs {floor:.2f} s){ceiling}",
                )
            if raw is not None:
                ctx.figure(
                    "  same GETs with plain requests: wall / ratio",
                    f"{raw.seconds:.2f} s / {raw.seconds / floor:.2f}x floor; "
                    f"client = {m.seconds / raw.seconds:.2f}x plain requests",
                )
                cpu_ratio = float(m.result["cpu_seconds"]) / float(raw.result["cpu_seconds"])
                ctx.figure("  CPU per device: client / plain requests",
                           f"{float(m.result['cpu_seconds']) / devices * 1000:.1f} ms / "
                           f"{float(raw.result['cpu_seconds']) / devices * 1000:.1f} ms")
                if target:
                    ctx.target(f"{profile} x{devices}: CPU per device <= {TARGET_CPU_RATIO}x "
                               "plain requests", cpu_ratio <= TARGET_CPU_RATIO,
                               f"{cpu_ratio:.2f}x")
    return walls


def run(ctx: BenchContext) -> None:
    devices = 50 if ctx.quick else 200
    ctx.figure(
        "injected latency per request / concurrency", f"{LATENCY * 1000:.0f} ms / {CONCURRENCY}"
    )
    # R320 (iDRAC7 2.65): 5 + 11 FirmwareInventory members, walked one by one.
    walls = _scenario(
        ctx,
        profile="r320-idrac7-2.65",
        devices=devices,
        auths=("basic", "session"),
        raw_baseline=True,
        expand=False,
        expected_requests=5 + 11,
        target=True,
    )
    if "session" in walls:
        extra = walls["session"] - walls["basic"]
        ctx.figure(
            "  session auth costs (open + close per device)",
            f"+{extra:.2f} s ({walls['session'] / walls['basic']:.2f}x)",
        )
    # iDRAC9: one expanded FirmwareInventory GET, 5 requests in all.
    _scenario(
        ctx,
        profile="r640-idrac9-4.40",
        devices=devices,
        auths=("basic",),
        raw_baseline=True,
        expand=True,
        expected_requests=5,
        target=False,
    )
