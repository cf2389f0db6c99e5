"""Inventory per generation: what is read, how many requests, and partial failures."""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fwupdate.errors import BadInputError
from fwupdate.idrac.fleet_inventory import run_bounded
from fwupdate.idrac.host_lock import host_lock
from fwupdate.idrac.inventory_io import dump_inventory, inventory_document, load_inventory
from fwupdate.idrac.models import Generation, NodeInventory
from fwupdate.idrac.redfish.client import RedfishClient
from fwupdate.idrac.redfish.inventory import parse_inventory_id

from .conftest import FWINV, MGR, SYS, FakeIdrac

Make = Callable[..., tuple[FakeIdrac, RedfishClient]]


def test_12g_inventory_walks_members(make_idrac: Make) -> None:
    fake, client = make_idrac("12G", auth="basic")
    with client:
        inv = client.inventory()
    assert inv.ok and inv.errors == ()
    assert inv.idrac is not None and inv.idrac.generation is Generation.IDRAC7
    assert inv.idrac.model == "12G Monolithic" and inv.idrac.redfish_version == "1.4.0"
    assert inv.system is not None
    assert (inv.system.model, inv.system.service_tag, inv.system.bios_version) == (
        "PowerEdge R320",
        "G2XBKY1",
        "2.4.2",
    )
    assert inv.system.system_id is None  # not readable over Redfish on 12G
    ids = [(c.state, c.component_id, c.version) for c in inv.components]
    assert ids == [
        ("Installed", "25227", "2.65.65.65"),
        ("Previous", "25227", "2.20.20.20"),
        ("Installed", "159", "2.4.2"),
        ("Installed", "0", "GA0E"),
    ]
    assert not any("$expand" in c.query for c in fake.calls)
    # root, Manager, System, UpdateService, collection, 4 members: nothing more
    assert len(fake.calls) == 9


def _kept_bytes(obj: object) -> int:
    """Bytes of the objects reachable from `obj` (sys.getsizeof over gc referents, each once)."""
    seen: set[int] = set()
    todo, total = [obj], 0
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, type):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        todo.extend(gc.get_referents(o))
    return total


def test_a_client_keeps_what_it_uses_of_the_probed_documents_not_the_documents(
    make_idrac: Make,
) -> None:
    """Every running node keeps one client for the night: what it keeps of the Manager and
    System documents must not grow with their size (an iDRAC9 System carries a large Oem)."""
    kept = []
    for attributes in (0, 2000):
        fake, client = make_idrac("14G", auth="basic")
        for uri in (MGR, SYS):
            fake.docs[uri]["Oem"] = {"Dell": {f"Attribute{i}": "x" * 40
                                              for i in range(attributes)}}
        with client:
            inv = client.inventory()
            assert inv.ok and inv.idrac is not None and inv.system is not None
            state = {k: v for k, v in vars(client).items() if k != "transport"}
            kept.append(_kept_bytes(state))
    assert kept[1] - kept[0] < 4096, kept


def test_idrac9_inventory_uses_expand(make_idrac: Make) -> None:
    fake, client = make_idrac("14G", auth="basic")
    with client:
        inv = client.inventory()
    assert inv.ok
    assert len(fake.calls) == 5
    bios = next(c for c in inv.components if c.component_id == "159")
    assert bios.fqdd == "BIOS.Setup.1-1" and bios.component_type == "FRMW"
    assert bios.vendor_id == "14E4"


def test_expand_failure_falls_back_to_walking(make_idrac: Make) -> None:
    fake, client = make_idrac("14G", auth="basic", expand_works=False)
    with client:
        inv = client.inventory()
    assert inv.ok and len(inv.components) == 4
    assert len(fake.calls) == 5 + 1 + 4


def test_partial_failures_become_errors(make_idrac: Make) -> None:
    fake, client = make_idrac("12G", auth="basic")
    fake.queue("GET", SYS, *[(500, {}, {"error": {"message": "internal"}})] * 3)
    fake.queue("GET", f"{FWINV}/Installed-159-2.4.2", *[(500, {}, "")] * 3)
    with client:
        inv = client.inventory()
    assert not inv.ok
    assert inv.idrac is not None and inv.system is None
    assert len(inv.components) == 3
    assert len(inv.errors) == 2
    assert "read System" in inv.errors[0] and "Installed-159-2.4.2" in inv.errors[1]


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("Installed-25227-2.65.65.65", ("Installed", "25227", None)),
        (
            "Installed-25227-5.10.00.00__iDRAC.Embedded.1-1",
            ("Installed", "25227", "iDRAC.Embedded.1-1"),
        ),
        ("Installed-0-__NIC.Slot.1-1", ("Installed", "0", "NIC.Slot.1-1")),
        ("Current-100170-18.5.17", ("Current", "100170", None)),
        ("Available-25806-4301X07", ("Available", "25806", None)),
    ],
)
def test_inventory_ids(ident: str, expected: tuple[str, str | None, str | None]) -> None:
    assert parse_inventory_id(ident) == expected


def test_inventory_document_roundtrip(make_idrac: Make, tmp_path: Path) -> None:
    _fake, client = make_idrac("14G", auth="basic")
    with client:
        inv = client.inventory()
    broken = NodeInventory(name="n2", errors=("n2: cannot talk to the iDRAC: refused",))
    path = dump_inventory(
        tmp_path / "inv.json",
        (inv, broken),
        pairs={"n1": "p1", "n2": "p1"},
        addresses={"n2": "https://10.0.0.2"},
    )
    doc = json.loads(path.read_text())
    assert list(doc) == ["nodes"]
    n1, n2 = doc["nodes"]
    assert set(n1) >= {"name", "idrac", "system", "components", "errors"}
    assert set(n1["idrac"]) >= {
        "address",
        "generation",
        "firmware_version",
        "model",
        "redfish_version",
    }
    assert set(n1["system"]) >= {"model", "service_tag", "bios_version", "power_state"}
    assert set(n1["components"][0]) >= {"id", "name", "component_id", "version", "updateable"}
    assert n1["pair"] == "p1" and n1["idrac"]["generation"] == "iDRAC9"
    assert n2["idrac"]["address"] == "https://10.0.0.2" and n2["idrac"]["firmware_version"] is None
    assert n2["errors"] == ["n2: cannot talk to the iDRAC: refused"]
    loaded = load_inventory(path)
    assert loaded == (inv, broken)
    assert doc == inventory_document(
        loaded, pairs={"n1": "p1", "n2": "p1"}, addresses={"n2": "https://10.0.0.2"}
    )
    assert not list(tmp_path.glob(".inv.json.*"))  # no temporary file left behind


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not JSON"),
        ('{"items": []}', 'no "nodes" list'),
        ('{"nodes": [{"idrac": null}]}', "nodes[0]: missing name"),
        (
            '{"nodes": [{"name": "a", "components": [{"id": "x", "name": "y"}]}]}',
            "nodes[0].components[0]: missing version",
        ),
        (
            '{"nodes": [{"name": "a", "capabilities": {"redfish": "yes"}}]}',
            "nodes[0].capabilities.redfish: expected true or false",
        ),
        ('{"nodes": [{"name": "a"}, {"name": "a"}]}', "nodes[1].name: duplicate node"),
    ],
)
def test_load_inventory_errors(tmp_path: Path, text: str, fragment: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(BadInputError) as info:
        load_inventory(p)
    assert fragment in str(info.value) and str(info.value).startswith(str(p))


def test_run_bounded_keeps_order_and_bound() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with lock:
            active -= 1
        return n * n

    done: list[int] = []
    out = run_bounded(list(range(12)), work, concurrency=3, on_done=lambda i, r: done.append(i))
    assert out == [n * n for n in range(12)]
    assert peak <= 3 and sorted(done) == list(range(12))


def test_host_lock_is_shared_per_host() -> None:
    assert host_lock("IDRAC.test:443") is host_lock("idrac.test:443")
    assert host_lock("a:443") is not host_lock("b:443")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"nodes": [{"name": "a", "components": [{"id": "x", "name": "y", "version": 5}]}]}',
         "nodes[0].components[0].version: expected a string"),
        ('{"nodes": [{"name": "a", "idrac": {"firmware_version": "1", "generation": "iDRAC99"}}]}',
         "nodes[0].idrac.generation: unknown 'iDRAC99'"),
        ('{"nodes": [{"name": "a", "errors": [1]}]}', "nodes[0].errors[0]: expected a string"),
        ('{"nodes": [{"name": 7}]}', "nodes[0].name: expected a string"),
        ('{"nodes": 3}', 'no "nodes" list'),
        ('[1, 2]', 'no "nodes" list'),
        ('{"nodes": [{"name": "a", "loadmaster": ' + "[" * 50_000 + "]" * 50_000 + "}]}",
         "nested too deeply"),
    ],
)
def test_a_bad_field_is_one_line_naming_file_and_path(
    tmp_path: Path, text: str, fragment: str
) -> None:
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(BadInputError) as info:
        load_inventory(p)
    message = str(info.value)
    assert fragment in message and message.startswith(f"{p}: ") and "\n" not in message


def test_an_old_inventory_with_nulls_and_missing_keys_reads(tmp_path: Path) -> None:
    p = tmp_path / "old.json"
    p.write_text(json.dumps({"nodes": [{
        "name": "a", "idrac": {"firmware_version": "2.65.65.65", "generation": None},
        "system": {"model": "PowerEdge R320"},
        "components": [{"id": "i", "name": "BIOS", "version": "2.9.0", "state": None}],
        "capabilities": {"redfish": None, "dell_oem_services": {"b": "/2", "a": "/1"}},
        "errors": None}]}))
    (node,) = load_inventory(p)
    assert node.idrac is not None and node.idrac.generation.value == "unknown"
    assert node.components[0].state == "Installed" and node.components[0].component_id is None
    assert node.capabilities.dell_oem_services == (("a", "/1"), ("b", "/2"))
    assert node.capabilities.redfish is False and node.errors == ()
