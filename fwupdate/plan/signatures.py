"""Record each package's signature verdict in the plan and apply the signature policy (pure).

The verdicts are computed outside the planner (the CLI reads the files, fwupdate.trust checks
them) and passed in; this module only records them, turns what is not verified into warnings
or a refusal per the bundle's `signatures` policy, and notes the policy in the plan's options
so the executor re-checks the same way.  See docs/signatures.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from fwupdate.errors import SignatureError
from fwupdate.plan.models import PackageRef, Plan, SignatureRecord, Step
from fwupdate.sigpolicy import SignaturePolicy


def plan_packages(plan: Plan) -> list[PackageRef]:
    """Each package the plan sends, once, in plan order."""
    seen: dict[str, PackageRef] = {}
    for s in plan.steps():
        for pkg in (s.package, *s.packages):
            if pkg is not None and pkg.path not in seen:
                seen[pkg.path] = pkg
    return list(seen.values())


def _problem(pkg: PackageRef, rec: SignatureRecord | None) -> str | None:
    if rec is None or rec.ok:
        return None
    return f"{rec.file or pkg.file_name}: {rec.kind} signature {rec.status}: {rec.reason}"


def _problems(plan: Plan, verdicts: Mapping[str, SignatureRecord]) -> tuple[list[str], list[str]]:
    """(refusable problems, notes) over every package of the plan."""
    problems: list[str] = []
    notes: list[str] = []
    for pkg in plan_packages(plan):
        rec = verdicts.get(pkg.path)
        if rec is None:
            notes.append(
                f"{pkg.file_name}: signature not checked while planning (file not local); "
                "checked before it is sent"
            )
        problem = _problem(pkg, rec)
        if problem:
            problems.append(problem)
        if pkg.source == "catalog" and not pkg.hash_md5:
            problems.append(f"{pkg.file_name}: the catalog gives no hashMD5 for it")
    return problems, notes


def _recorded(pkg: PackageRef, verdicts: Mapping[str, SignatureRecord]) -> PackageRef:
    rec = verdicts.get(pkg.path)
    return pkg if rec is None else dataclasses.replace(pkg, signature=rec)


def _with_records(step: Step, verdicts: Mapping[str, SignatureRecord]) -> Step:
    return dataclasses.replace(
        step,
        package=None if step.package is None else _recorded(step.package, verdicts),
        packages=tuple(_recorded(p, verdicts) for p in step.packages),
    )


def record_signatures(
    plan: Plan,
    verdicts: Mapping[str, SignatureRecord],
    *,
    mode: SignaturePolicy,
    allow_unsigned: bool = False,
    catalog: SignatureRecord | None = None,
) -> Plan:
    """The plan with each package's verdict recorded (keyed by package path).

    Under "require" (without `allow_unsigned`) the first unverified package refuses the plan
    with SignatureError naming the file and the reason; under "warn", or with
    `allow_unsigned`, every problem becomes a plan warning.  "off" records nothing.
    `catalog` is the verdict on the catalog's detached signature (None: not checked).
    """
    options = (
        *plan.options,
        ("signatures", mode.value),
        ("allow_unsigned", str(allow_unsigned).lower()),
    )
    if mode is SignaturePolicy.OFF:
        return dataclasses.replace(plan, options=options)
    problems, notes = _problems(plan, verdicts)
    if catalog is not None:
        options = (*options, ("catalog_signature", f"{catalog.status} {catalog.signer}".strip()))
        if not catalog.ok:
            problems.insert(
                0,
                f"{catalog.file}: catalog {catalog.kind} signature "
                f"{catalog.status}: {catalog.reason}",
            )
    if problems and mode is SignaturePolicy.REQUIRE and not allow_unsigned:
        more = f"; {len(problems) - 1} more" if len(problems) > 1 else ""
        raise SignatureError(f'{problems[0]} (signatures = "require"{more}; nothing planned)')
    warnings = [f"UNVERIFIED: {p}" for p in problems] + notes
    if problems and allow_unsigned:
        warnings.insert(0, "--allow-unsigned: packages without a valid signature are planned")
    groups = tuple(
        dataclasses.replace(g, steps=tuple(_with_records(s, verdicts) for s in g.steps))
        for g in plan.groups
    )
    return dataclasses.replace(
        plan, groups=groups, options=options, warnings=(*plan.warnings, *warnings)
    )


__all__ = ["plan_packages", "record_signatures"]
