"""Generate the synthetic Pan-Cheshire caseload in this folder (no real data).

Run once; the output is committed, and ``--check`` (run by the tests) says
whether the committed files are still what this script makes:

    python examples/caseload/make_caseload.py          # rewrite the files
    python examples/caseload/make_caseload.py --check  # exit 1 if they differ

Every agency is a made-up label of a kind of service, every reference is
``PC-SYN-NNNN``, and the fixed seed makes the same 120 cases every time:
``pan-cheshire-caseload.jsonl`` (case histories, one a line) and
``escalation-log.csv`` (40 rows as a partnership's spreadsheet keeps them,
with a free-text "Notes" column the report never reads, and two bad rows).
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
LONDON = ZoneInfo("Europe/London")
SEED = 2026
CASES = 120
LOG_ROWS = 40
FIRST = date(2025, 4, 1)
AS_OF = date(2026, 4, 1)
STAGES = ("practitioners", "step-1", "step-2", "step-3")
# What happens at each stage: chances of resolved, withdrawn, unresolved (escalate).
OUTCOMES = {
    "practitioners": (55, 5, 40),
    "step-1": (55, 5, 40),
    "step-2": (50, 5, 45),
    "step-3": (85, 5, 10),
}
# Working days a stage's discussion takes: most within the timescale, some late.
TAKES = {"practitioners": (0, 3), "step-1": (2, 9), "step-2": (4, 16), "step-3": (8, 24)}
AGENCIES = (
    ("Primary school (north)", "school"),
    ("Primary school (south)", "school"),
    ("Secondary school", "school"),
    ("Sixth-form college", "college"),
    ("Nursery", "early-years"),
    ("GP practice", "general-practice"),
    ("Hospital trust", "hospital"),
    ("Health visiting", None),
    ("Police", None),
    ("Youth justice service", None),
)
CSC = "Children's social care"
AREAS = ("cheshire-east", "cheshire-west-and-chester", "halton", "warrington")
TOPICS = (
    "thresholds",
    "roles-and-responsibilities",
    "decision-making",
    "lack-of-action",
    "drift-or-delay",
    "service-provision",
)


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), LONDON).isoformat()


def _working(day: date, n: int) -> date:
    while n > 0 or day.weekday() >= 5:  # weekends only: near enough for synthetic data
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _party(rng: random.Random, *, receiving: bool) -> dict[str, str]:
    if receiving and rng.random() < 0.6:
        return {"role": "practitioner", "agency": CSC}
    agency, sector = rng.choice(AGENCIES)
    party = {"role": "practitioner", "agency": agency}
    if sector:
        party["sector"] = sector
    return party


def _case(rng: random.Random, number: int) -> dict[str, object]:  # noqa: C901
    raised = FIRST + timedelta(days=rng.randrange((AS_OF - FIRST).days - 3))
    raised = _working(raised, 0)
    raising = _party(rng, receiving=False)
    receiving = _party(rng, receiving=True)
    while receiving["agency"] == raising["agency"]:
        receiving = _party(rng, receiving=True)
    events: list[dict[str, object]] = [
        {
            "kind": "concern_raised",
            "id": "e1",
            "at": _at(raised, rng.randint(9, 15)),
            "raising": raising,
            "receiving": receiving,
            "disputed": rng.choice(["decision", "practice", "inaction", "delay"]),
            "topics": rng.sample(TOPICS, rng.choice([1, 1, 2])),
            "area": rng.choice(AREAS),
        }
    ]

    def add(kind: str, day: date, hour: int, **fields: object) -> None:
        if day < AS_OF:  # nothing after the moment of the report: it has not happened yet
            events.append(
                {"kind": kind, "id": f"e{len(events) + 1}", "at": _at(day, hour), **fields}
            )

    day = raised
    for index, stage in enumerate(STAGES):
        low, high = TAKES[stage]
        concluded = _working(day, rng.randint(low, high))
        if concluded >= AS_OF or rng.random() < 0.04:  # still under way, or drifting
            break
        outcome = rng.choices(["resolved", "withdrawn", "unresolved"], OUTCOMES[stage])[0]
        add("discussion_held", concluded, 14, stage=stage, outcome=outcome)
        if rng.random() < 0.8:
            add("record_made", concluded, 16, record="childs_record", side="each", stage=stage)
        if outcome == "resolved" and stage == "step-1":
            add("outcome_confirmed", _working(concluded, 1), 10, stage=stage)
            add("outcome_communicated", _working(concluded, 1), 11, to="workers", stage=stage)
        if outcome != "unresolved" or index == len(STAGES) - 1:
            break
        nxt = STAGES[index + 1]
        escalated = _working(concluded, rng.choice([0, 0, 1, 2]))
        add("escalated", escalated, 15, to_stage=nxt)
        if nxt == "step-3":
            if rng.random() < 0.7:
                add("form_submitted", escalated, 16, form="appendix-a", stage=nxt)
            if rng.random() < 0.75:
                add(
                    "record_made",
                    _working(escalated, rng.randint(0, 3)),
                    12,
                    record="partnership_record",
                    side="partnership",
                    stage=nxt,
                )
        day = escalated
    return {"reference": f"PC-SYN-{number:04d}", "policy": "pan-cheshire", "events": events}


LOG_COLUMNS = (
    "Reference",
    "Date raised",
    "Raising agency",
    "Raising sector",
    "Receiving agency",
    "Receiving sector",
    "Area",
    "Topic",
    "Stage reached",
    "Date reached step-1",
    "Date reached step-2",
    "Date reached step-3",
    "Outcome",
    "Outcome date",
    "Notes",
)


def _log_row(case: dict[str, object]) -> list[str]:
    events: list[dict[str, object]] = case["events"]  # type: ignore[assignment]
    concern = events[0]
    raising: dict[str, str] = concern["raising"]  # type: ignore[assignment]
    receiving: dict[str, str] = concern["receiving"]  # type: ignore[assignment]
    reached = {e["to_stage"]: str(e["at"])[:10] for e in events if e["kind"] == "escalated"}
    last = max(reached, key=STAGES.index) if reached else "practitioners"
    ends = [e for e in events if e["kind"] == "discussion_held" and e["outcome"] != "unresolved"]
    names = {"practitioners": "Practitioners", "step-1": "Step 1", "step-2": "Step 2"}
    return [
        str(case["reference"]),
        datetime.fromisoformat(str(concern["at"])).strftime("%d/%m/%Y"),
        raising["agency"],
        raising.get("sector", ""),
        receiving["agency"],
        receiving.get("sector", ""),
        str(concern["area"]),
        ";".join(concern["topics"]),  # type: ignore[arg-type]
        names.get(last, last),
        *(reached.get(stage, "") for stage in STAGES[1:]),
        str(ends[0]["outcome"]).capitalize() if ends else "Open",
        str(ends[0]["at"])[:10] if ends else "",
        "synthetic example: free text that never reaches a report",
    ]


def generate() -> dict[str, str]:
    """The files' contents, by name."""
    rng = random.Random(SEED)
    cases = [_case(rng, number) for number in range(1, CASES + 1)]
    cases.sort(key=lambda c: str(c["events"][0]["at"]))  # type: ignore[index]
    lines = "".join(json.dumps(case, separators=(",", ":")) + "\n" for case in cases)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    rows = [_log_row(case) for case in cases[:LOG_ROWS]]
    rows[7][1] = "31/02/2025"  # a date that does not exist
    rows[12][6] = "Runcorn"  # not an area of the policy's (it is in Halton)
    writer.writerows(rows)
    return {"pan-cheshire-caseload.jsonl": lines, "escalation-log.csv": out.getvalue()}


def main(argv: list[str]) -> int:
    """Write the files, or with ``--check`` compare them; the exit status."""
    files = generate()
    if "--check" in argv:
        stale = [n for n, text in files.items() if (HERE / n).read_text("utf-8") != text]
        for name in stale:
            print(f"{name} is not what make_caseload.py makes: run it again")  # noqa: T201
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
