"""The ordering rules, by id.  Each step carries the id of the rule that put it there; `plan
--explain` prints the text, docs/planning.md gives each rule's reason and source."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """Rule ids, as written in a step's `rule` field (the same strings on disk)."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    N1 = "N1"
    N2 = "N2"
    N3 = "N3"
    N4 = "N4"
    N5 = "N5"
    N6 = "N6"
    N7 = "N7"
    N8 = "N8"
    N9 = "N9"
    N10 = "N10"
    D1 = "D1"
    D2 = "D2"
    S1 = "S1"


RULES: dict[str, str] = {
    Rule.P1: "pair pre-check: both units reachable and healthy, HA roles known, Virtual Service "
    "baseline recorded, No Preferred Host set before anything changes (Kemp HA upgrade "
    "procedure, loadmaster-api.md §4.5)",
    Rule.P2: "standby node first, active node last: the pair fails over once, when the active "
    "node goes down (loadmaster-api.md §4.5)",
    Rule.P3: "pair post-check: HA in sync, Virtual Services as healthy as before, preferred host "
    "restored if the bundle says so",
    Rule.N1: "node pre-check: iDRAC reachable, Lifecycle Controller ready, job queue empty or "
    "cleared per the bundle (peers-and-lessons.md §7.4)",
    Rule.N2: "iDRAC/LC first, through every stepping stone, each hop waited out: old LC firmware "
    "cannot process newer packages, and on 12G it is the only way to reach Redfish updates "
    "(catalog-and-dup.md §4.3-4.4, idrac-redfish.md §9). This deviates from Dell's repository "
    "order, which puts the iDRAC last so that its reset cannot interrupt queued jobs: here no "
    "job is queued while the iDRAC updates",
    Rule.N3: "components that apply without a host reboot (LC, Diagnostics, OS Driver Pack) run "
    "now, before anything is staged (catalog-and-dup.md §4.2)",
    Rule.N4: "components that need a host reboot are staged (jobs scheduled, no reboot yet) so "
    "that one reboot applies them all, in Dell's order (catalog-and-dup.md §4.1)",
    Rule.N5: "the LoadMaster image is installed before the same host reboot (combine_reboots): it "
    "applies on the next boot, so the node reboots once",
    Rule.N6: "one host reboot per node applies every staged job (and the staged LoadMaster image); "
    "rebooting the active unit is the failover (loadmaster-api.md §4.4)",
    Rule.N7: "CPLD alone, after everything else, in its own reboot, only when opted in "
    "(catalog-and-dup.md §4.1, §4.3)",
    Rule.N8: "without combine_reboots the LoadMaster image gets its own reboot after the firmware",
    Rule.N9: "verify: every planned version installed, the LoadMaster at its target version and in "
    "the expected HA role, the pair healthy",
    Rule.N10: "iDRAC7 updated from below 1.30.30 needs a system restart (catalog-and-dup.md §4.2)",
    Rule.D1: "repository delivery (bundle [delivery]): after its iDRAC steps the node's firmware "
    "comes from a repository fwupdate serves, filtered to the planned packages; the iDRAC "
    "creates the jobs itself (InstallFromRepository) and reboots once (idrac-redfish.md §4.4)",
    Rule.D2: "virtual-media delivery (bundle [delivery]): after its iDRAC steps the node boots an "
    "update ISO once from the virtual CD, which applies what it holds and reboots "
    "(idrac-redfish.md §7)",
    Rule.S1: "standalone node: every host reboot is an outage of its Virtual Services; planned "
    "only with --allow-standalone (or [prechecks] standalone = 'allow')",
}


def rule_text(rule_id: str) -> str:
    return RULES.get(rule_id, "")


def rule_sort_key(rule_id: str) -> tuple[str, int]:
    """P1 < P3 < N1 < N2 < N10 < S1 (pair rules, node rules, then the rest)."""
    order = {"P": "0", "N": "1", "S": "2"}
    number = rule_id[1:]
    return order.get(rule_id[:1], "9") + rule_id[:1], int(number) if number.isdigit() else 0
