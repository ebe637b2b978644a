"""A small Pan-Cheshire caseload whose every figure was counted by hand.

Shared by the caseload tests. June and July 2026 have no bank holidays in
England, so a working day is a weekday. Mondays: 1, 8, 15, 22, 29 June;
6, 13, 20 July. The report is taken at 09:00 on Mon 20 July for concerns raised
from 1 June. The counts behind each expected figure are in ``test_caseload.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from challenge_rules import CaseHistory, load_history

AS_OF = datetime.fromisoformat("2026-07-20T09:00:00+01:00")
PERIOD_FROM = date(2026, 6, 1)
SCHOOL = {"role": "practitioner", "agency": "Primary school", "sector": "school"}
GP = {"role": "practitioner", "agency": "GP practice", "sector": "general-practice"}
POLICE = {"role": "practitioner", "agency": "Police"}
CSC = {"role": "practitioner", "agency": "Children's social care"}


def _at(day: str, hour: int = 10) -> str:
    return f"2026-{day}T{hour:02d}:00:00+01:00"


def _case(
    reference: str,
    raised: str,
    raising: dict[str, str],
    receiving: dict[str, str],
    steps: list[tuple[str, ...]],
    **concern: Any,
) -> dict[str, Any]:
    events: list[dict[str, Any]] = [
        {
            "kind": "concern_raised",
            "id": "e0",
            "at": _at(raised, concern.pop("hour", 10)),
            "raising": raising,
            "receiving": receiving,
            **concern,
        }
    ]
    for step in steps:
        kind, day, *rest = step
        event: dict[str, Any] = {"id": f"e{len(events)}", "at": _at(day, 14)}
        if kind == "held":
            event |= {"kind": "discussion_held", "stage": rest[0], "outcome": rest[1]}
        elif kind == "up":
            event |= {"kind": "escalated", "to_stage": rest[0]}
        elif kind == "partnership":
            event |= {
                "kind": "record_made",
                "record": "partnership_record",
                "side": "partnership",
                "stage": rest[0],
            }
        events.append(event)
    return {"reference": reference, "policy": "pan-cheshire", "events": events}


DOCUMENTS: list[dict[str, Any]] = [
    # A: resolved by the practitioners the next day.
    _case(
        "C-A",
        "06-01",
        SCHOOL,
        CSC,
        [("held", "06-02", "practitioners", "resolved")],
        area="cheshire-east",
        topics=["thresholds"],
        subject="child",
    ),
    # B: the practitioners met late (48 hours from Mon 09:00), Step 1 resolved it in time.
    _case(
        "C-B",
        "06-01",
        GP,
        CSC,
        [
            ("held", "06-05", "practitioners", "unresolved"),
            ("up", "06-05", "step-1"),
            ("held", "06-12", "step-1", "resolved"),
        ],
        hour=9,
        area="halton",
        topics=["thresholds", "drift-or-delay"],
        subject="child",
    ),
    # C: escalated to Step 1 on Tue 9 June and nothing since: drifting and overdue.
    _case(
        "C-C",
        "06-08",
        SCHOOL,
        CSC,
        [
            ("held", "06-09", "practitioners", "unresolved"),
            ("up", "06-09", "step-1"),
        ],
        area="cheshire-east",
    ),
    # D: up to Step 3, Step 2 two working days late, recorded by the partnership.
    _case(
        "C-D",
        "06-15",
        POLICE,
        SCHOOL,
        [
            ("held", "06-16", "practitioners", "unresolved"),
            ("up", "06-16", "step-1"),
            ("held", "06-22", "step-1", "unresolved"),
            ("up", "06-22", "step-2"),
            ("held", "07-10", "step-2", "unresolved"),
            ("up", "07-10", "step-3"),
            ("partnership", "07-13", "step-3"),
        ],
        area="warrington",
        topics=["lack-of-action"],
    ),
    # E: a complaint: the procedure does not apply.
    _case("C-E", "06-02", SCHOOL, POLICE, [], area="cheshire-west-and-chester", nature="complaint"),
    # F: withdrawn by the raiser at the practitioners' discussion.
    _case(
        "C-F", "06-03", GP, CSC, [("held", "06-04", "practitioners", "withdrawn")], area="halton"
    ),
    # G: raised in May, before the period.
    _case(
        "C-G",
        "05-04",
        SCHOOL,
        CSC,
        [("held", "05-05", "practitioners", "resolved")],
        area="cheshire-east",
    ),
    # H: names a stage Pan-Cheshire does not have: refused when evaluated.
    _case("C-H", "06-10", SCHOOL, CSC, [("held", "06-11", "stage-9", "resolved")]),
]


def histories() -> list[CaseHistory]:
    """The caseload's histories, in order."""
    return [load_history(document) for document in DOCUMENTS]
