"""`fwupdate catalog ...` through the real entry point: output contracts and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import ONLINE_CATALOG, SUU_CATALOG, SUU_FOLDER

COMPONENT_KEYS = {
    "name", "component_ids", "vendor_version", "dell_version", "package_type", "path",
    "category", "component_type", "criticality", "reboot_required", "hash_md5", "size",
    "release_date", "system_ids",
}


def test_show_json_contract(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(SUU_FOLDER), "--system-id", "04F7", "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert set(doc) == {"catalog", "components"}
    assert set(doc["catalog"]) == {
        "source", "base_location", "date_time", "components_total", "signature"
    }  # fmt: skip
    assert doc["catalog"]["signature"]["status"] in ("missing", "untrusted")  # unsigned sample
    assert doc["catalog"]["components_total"] == 31
    assert doc["catalog"]["base_location"] == ""
    assert len(doc["components"]) == 27
    for c in doc["components"]:
        assert set(c) == COMPONENT_KEYS
        assert "04F7" in c["system_ids"]
        assert isinstance(c["component_ids"], list)
    first = doc["components"][0]
    assert first["name"] == "iDRAC7,1.66.65,A00"
    assert first["component_ids"] == ["25227"]
    assert first["package_type"] == "LW64"
    assert first["criticality"] == "Urgent"
    assert first["reboot_required"] is False


def test_show_filters(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(SUU_CATALOG), "--model", "PowerEdge R320",
            "--package-type", "LWXP", "--component-id", "25227", "--format", "json")
    assert r.code == 0, r
    versions = [c["vendor_version"] for c in json.loads(r.out)["components"]]
    assert versions == ["2.10.10.10", "2.20.20.20"]


def test_show_online_sample_json(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(ONLINE_CATALOG), "--system-id", "4f7", "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["catalog"]["base_location"] == "downloads.dell.com"
    assert doc["catalog"]["date_time"] == "2025-04-22T01:46:12+05:30"
    idrac = doc["components"][0]
    assert idrac["path"].startswith("FOLDER05623521M/1/")
    assert idrac["size"] == 122436856


def test_show_csv_and_table(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(SUU_CATALOG), "--model", "r320", "--format", "csv")
    assert r.code == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 27 and set(rows[0]) == COMPONENT_KEYS
    t = cli("catalog", "show", str(SUU_CATALOG), "--model", "r320", "--component-id", "159")
    assert t.code == 0 and "BIOS_2MJPD_WN32_2.9.0.EXE" in t.out and "4 of 31" in t.out


def test_bundles(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "bundles", str(SUU_CATALOG), "--model", "R320", "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert [b["bundle_id"] for b in doc["bundles"]] == ["PH0K5R_WIN.150", "PH0K5R_LIN.150"]
    win = doc["bundles"][0]
    assert (win["bundle_type"], win["packages"], win["matched"]) == ("BTW32", 12, 11)
    assert win["system_ids"] == ["04F7"]
    all_ = cli("catalog", "bundles", str(SUU_CATALOG), "--format", "csv")
    assert all_.code == 0 and len(all_.out.strip().splitlines()) == 4


def test_models(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "models", "--format", "json")
    assert r.code == 0
    assert {"model": "R320", "system_id": "04F7"} in json.loads(r.out)["models"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "R999"), "unknown model 'R999'"),
        (("--system-id", "zz"), "not a system id"),
        (("--system-id", "04F7", "--model", "R320"), "not both"),
        (("--package-type", "EXE"), "unknown package type"),
    ],
)
def test_bad_options_exit_2(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(SUU_CATALOG), *args)
    assert r.code == 2
    assert message in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    assert r.out == ""


def test_missing_malformed_and_foreign_files_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = cli("catalog", "show", str(tmp_path / "nope.xml"))
    assert missing.code == 2 and "not found" in missing.err

    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<Manifest>\n<SoftwareComponent path="a">\n'
                   "</Manifest>\n")
    r = cli("catalog", "show", str(bad), "--format", "json")
    assert r.code == 2 and "malformed catalog XML at line 4" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err and r.out == ""

    foreign = tmp_path / "pom.xml"
    foreign.write_text("<project/>")
    r = cli("catalog", "bundles", str(foreign))
    assert r.code == 2 and "root element is <project>" in r.err

    laughs = tmp_path / "laughs.xml"
    laughs.write_text('<!DOCTYPE M [<!ENTITY a "aaaa">]><Manifest>&a;</Manifest>')
    r = cli("catalog", "show", str(laughs), "--system-id", "04F7")
    assert r.code == 2 and "DOCTYPE" in r.err


def test_cache_dir_option(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path / "cli-cache"
    r = cli("catalog", "show", str(SUU_CATALOG), "--cache-dir", str(cache), "--format", "json")
    assert r.code == 0 and (cache / "catalogs" / "parsed").is_dir()
    r2 = cli("catalog", "show", str(SUU_CATALOG), "--no-cache", "--cache-dir",
             str(tmp_path / "unused"), "--format", "json")
    assert r2.code == 0 and not (tmp_path / "unused").exists()
    assert json.loads(r2.out) == json.loads(r.out)


def test_show_json_has_one_component_per_line(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "show", str(SUU_CATALOG), "--system-id", "04F7", "--format", "json",
            "--signatures", "off")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[:1] == ["{"] and lines[-2:] == ["  ]", "}"]
    assert lines[1].startswith('  "catalog": {') and lines[2] == '  "components": ['
    items = lines[3:-2]
    assert len(items) == 27
    assert [json.loads(x.rstrip(",")) for x in items] == json.loads(r.out)["components"]


def test_json_lines_are_utf8_to_bytes_or_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from fwupdate.cli.catalog_cmd import _write_json_lines

    doc = {"catalog": {"source": "Katalog-Ä.xml"}, "components": [{"name": "Ω"}], "empty": []}
    as_text = io.StringIO()  # no .buffer: written as text
    monkeypatch.setattr("sys.stdout", as_text)
    _write_json_lines(doc)
    raw = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(raw, encoding="ascii"))
    _write_json_lines(doc)  # bytes go to the buffer: UTF-8 whatever the stream's encoding
    assert json.loads(as_text.getvalue()) == json.loads(raw.getvalue().decode("utf-8")) == doc
