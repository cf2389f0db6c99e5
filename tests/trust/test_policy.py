"""The signature policy: recorded in the plan (pure), enforced by `plan` and re-checked by the
executor's package store right before a file is sent."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "plan"))

import plan_factories as pf

from fwupdate.errors import SignatureError
from fwupdate.plan import planfile
from fwupdate.plan.models import PackageRef, SignatureRecord
from fwupdate.plan.policy import policy_from_mapping
from fwupdate.plan.signatures import plan_packages, record_signatures
from fwupdate.run.packages import PackageStore, SignatureCheck
from fwupdate.sigpolicy import SignaturePolicy
from fwupdate.trust import TrustStore
from fwupdate.trust.kit import SigningKit

VALID = SignatureRecord("gpg", "valid", "demo key (ABCD)", "", "0" * 64, "x.BIN")
MISSING = SignatureRecord("gpg", "missing", "", "no detached signature x.BIN.sign beside it")


def verdicts(plan, rec: SignatureRecord) -> dict[str, SignatureRecord]:  # type: ignore[no-untyped-def]
    return {p.path: dataclasses.replace(rec, file=p.file_name) for p in plan_packages(plan)}


def test_bundle_key_default_and_errors() -> None:
    assert policy_from_mapping({}).signatures is SignaturePolicy.REQUIRE
    assert policy_from_mapping({"signatures": "warn"}).signatures is SignaturePolicy.WARN
    with pytest.raises(Exception, match="signatures = 'maybe'; allowed: require, warn, off"):
        policy_from_mapping({"signatures": "maybe"})
    assert ("signatures", "require") in policy_from_mapping({}).summary()


def test_require_refuses_naming_the_file() -> None:
    plan = pf.make_plan()
    first = plan_packages(plan)[0].file_name
    with pytest.raises(SignatureError, match=rf"^{first}: gpg signature missing: .*require"):
        record_signatures(plan, verdicts(plan, MISSING), mode=SignaturePolicy.REQUIRE)


def test_valid_verdicts_are_recorded_and_survive_the_plan_file() -> None:
    plan = pf.make_plan()
    out = record_signatures(plan, verdicts(plan, VALID), mode=SignaturePolicy.REQUIRE)
    assert ("signatures", "require") in out.options and ("allow_unsigned", "false") in out.options
    recs = [s.package.signature for s in out.steps() if s.package is not None]
    assert recs and all(r is not None and r.ok for r in recs)
    payload_steps = [s for s in out.steps() if s.payload]
    for s in payload_steps:  # a bare image inherits the verdict of the DUP it comes from
        assert s.package is not None and s.package.signature is not None
        assert s.package.signature.file == s.package.file_name
    again = planfile.loads(planfile.dumps(out))
    assert again == out


def test_warn_and_allow_unsigned_become_warnings() -> None:
    plan = pf.make_plan()
    warned = record_signatures(plan, verdicts(plan, MISSING), mode=SignaturePolicy.WARN)
    assert any(w.startswith("UNVERIFIED: ") and "signature missing" in w for w in warned.warnings)
    allowed = record_signatures(
        plan, verdicts(plan, MISSING), mode=SignaturePolicy.REQUIRE, allow_unsigned=True
    )
    assert ("allow_unsigned", "true") in allowed.options
    assert allowed.warnings[len(plan.warnings)].startswith("--allow-unsigned")


def test_off_records_nothing_and_unlisted_packages_are_noted() -> None:
    plan = pf.make_plan()
    off = record_signatures(plan, {}, mode=SignaturePolicy.OFF)
    assert off.groups == plan.groups and ("signatures", "off") in off.options
    noted = record_signatures(plan, {}, mode=SignaturePolicy.REQUIRE)  # not local: run checks
    assert any("checked before it is sent" in w for w in noted.warnings)


def test_catalog_without_hashes() -> None:
    cat = pf.r320_catalog()
    bare = dataclasses.replace(
        cat, components=tuple(dataclasses.replace(c, hash_md5=None) for c in cat.components)
    )
    plan = pf.make_plan(catalog=bare)
    with pytest.raises(SignatureError, match="the catalog gives no hashMD5"):
        record_signatures(plan, verdicts(plan, VALID), mode=SignaturePolicy.REQUIRE)
    warned = record_signatures(plan, verdicts(plan, VALID), mode=SignaturePolicy.WARN)
    assert any("no hashMD5" in w for w in warned.warnings)


# --- the executor's re-check -------------------------------------------------------------------


@pytest.fixture
def sent(kit: SigningKit, store: TrustStore, tmp_path: Path) -> tuple[PackageStore, PackageRef]:
    repo = tmp_path / "repo"
    repo.mkdir()
    f = repo / "Network_Firmware_X_LN_1.0_A00.BIN"
    f.write_bytes(b"#!/bin/sh\nexit 1\n")
    kit.sign_detached(f)
    check = SignatureCheck("require", False, store)
    pkg = PackageRef(f.name, f.name, "LLXP", "1.0", size=f.stat().st_size)
    rec = check.check(f, pkg)
    assert rec is not None and rec.ok
    return PackageStore(repo, None, check), dataclasses.replace(pkg, signature=rec)


def test_run_sends_a_verified_file(sent: tuple[PackageStore, PackageRef]) -> None:
    store, pkg = sent
    assert store.verified(pkg, recheck=True).name == pkg.file_name


def test_run_refuses_a_changed_signature(sent: tuple[PackageStore, PackageRef]) -> None:
    store, pkg = sent
    path = store.locate(pkg)
    store.verified(pkg)
    sig = path.with_name(path.name + ".sign")
    sig.write_text(sig.read_text().replace("A", "B", 3))
    with pytest.raises(SignatureError, match=rf"^{pkg.file_name}: gpg signature .* now, valid"):
        store.verified(pkg, recheck=True)  # checked again although it passed before
    sig.unlink()
    with pytest.raises(SignatureError, match="signature missing now"):
        store.verified(pkg, recheck=True)


def test_run_policy_warn_and_off(sent: tuple[PackageStore, PackageRef], tmp_path: Path) -> None:
    store, pkg = sent
    unsigned = dataclasses.replace(pkg, signature=None)
    store.locate(pkg).with_name(pkg.file_name + ".sign").unlink()
    with pytest.raises(SignatureError, match="not sent"):
        store.verified(unsigned, recheck=True)
    for mode, allow in (("warn", False), ("require", True), ("off", False)):
        assert store.signatures is not None
        store.signatures = SignatureCheck(mode, allow, store.signatures.trust)
        assert store.verified(unsigned, recheck=True)


def test_plan_cli_enforces_the_policy(
    cli, kit: SigningKit, store: TrustStore, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    site = pf.write_site(tmp_path)
    bundle = site["bundle"]
    bundle.write_text(bundle.read_text().replace('signatures = "off"', 'signatures = "require"'))
    for c in pf.r320_catalog().components:
        (site["repo"] / c.file_name).write_bytes(b"dup " + c.file_name.encode())
    args = [str(site["fleet"]), "--catalog", str(site["repo"]), "--inventory",
            str(site["inventory"]), "--bundle", str(bundle), "--allow-standalone",
            "--format", "json"]  # fmt: skip
    r = cli("plan", *args)
    assert r.code == 2 and "gpg signature missing" in r.err and r.out == ""
    r = cli("plan", *args, "--allow-unsigned")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["options"]["allow_unsigned"] == "true"
    assert any(w.startswith("--allow-unsigned") for w in doc["warnings"])
    for c in pf.r320_catalog().components:
        kit.sign_detached(site["repo"] / c.file_name)
    r = cli("plan", *args)  # every package signed, but not the catalog
    assert r.code == 2 and "Catalog.xml: catalog gpg signature missing" in r.err
    kit.sign_detached(site["repo"] / "Catalog.xml")
    r = cli("plan", *args)
    assert r.code == 0, r
    assert json.loads(r.out)["options"]["catalog_signature"].startswith("valid ")
    pkgs = [s["package"] for g in json.loads(r.out)["groups"] for s in g["steps"] if s["package"]]
    assert pkgs and all(p["signature"]["status"] == "valid" for p in pkgs)
    assert all(kit.pgp_fingerprint in p["signature"]["signer"] for p in pkgs)


def test_allow_unsigned_is_loud_on_the_confirmation_and_the_report() -> None:
    from fwupdate.report.run_report import _signatures, signature_line

    assert SignatureCheck("require", False).notice() is None
    assert "UNSIGNED PACKAGES ALLOWED" in (SignatureCheck("require", True).notice() or "")
    assert 'signatures = "warn"' in (SignatureCheck("warn", False).notice() or "")
    journal_opts = {"signatures": SignatureCheck("require", True).as_dict()}
    doc = {"signatures": _signatures(journal_opts, {})}
    assert signature_line(doc) == "signatures: UNSIGNED PACKAGES ALLOWED (--allow-unsigned)"
    older = {"options": {"signatures": "warn", "allow_unsigned": "false"}}
    assert signature_line({"signatures": _signatures({}, older)}) == "signatures: warn"
    plan = pf.make_plan()
    assert SignatureCheck.for_plan(plan).mode == "require"  # a plan without a policy: require
