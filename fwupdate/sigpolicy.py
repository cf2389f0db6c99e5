"""`SignaturePolicy`: what an unverified signature does (docs/signatures.md).

A leaf module of its own so that the layers that name the policy (plan, trust, the CLI's
`catalog show`) can import it without importing the planner: `catalog show` paid ~0.06 s of
start-up for `fwupdate.plan.policy` (docs/performance.md).
"""

from __future__ import annotations

from enum import StrEnum


class SignaturePolicy(StrEnum):
    """What an unverified package or catalog signature does (docs/signatures.md)."""

    REQUIRE = "require"  # refuse the plan / the package (the default for real runs)
    WARN = "warn"  # plan and send it, with a warning in the plan, the journal and the report
    OFF = "off"  # do not check signatures at all (synthetic test fleets)
