"""The verdicts as text: one line per invariant, then every violation with its evidence."""

from __future__ import annotations

from fwupdate.check.models import Verdict


def render_text(verdicts: tuple[Verdict, ...], *, label: str = "") -> str:
    lines: list[str] = []
    head = f"[{label}] " if label else ""
    for v in verdicts:
        mark = "ok  " if v.ok else "FAIL"
        extra = "" if v.ok else f", {len(v.violations)} violation(s)"
        lines.append(f"{head}{v.invariant} {mark} {v.title} (checked {v.checked}{extra})")
        lines += [f"{head}    {x.line()}" for x in v.violations]
    bad = sum(len(v.violations) for v in verdicts)
    lines.append(f"{head}verdict: {'all invariants hold' if not bad else f'{bad} violation(s)'}")
    return "\n".join(lines)


def to_doc(verdicts: tuple[Verdict, ...]) -> list[dict[str, object]]:
    return [
        {"invariant": v.invariant, "title": v.title, "ok": v.ok, "checked": v.checked,
         "violations": [{"subject": x.subject, "message": x.message,
                         "evidence": list(x.evidence)} for x in v.violations]}
        for v in verdicts
    ]  # fmt: skip
