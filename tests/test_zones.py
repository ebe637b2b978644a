"""Time zone names whose meaning depends on the host are refused (`challenge_rules._zones`)."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import TYPE_CHECKING

import pytest

from challenge_rules import load_policy
from challenge_rules._zones import depends_on_host
from challenge_rules.calendar import working_calendar
from challenge_rules.cli import main
from challenge_rules.errors import CalendarError, InvalidPolicy
from challenge_rules.loading import policy_problems

if TYPE_CHECKING:
    from pathlib import Path

HIPS = json.loads(
    (resources.files("challenge_rules") / "policies" / "hips.json").read_text("utf-8")
)
HOST_DEPENDENT = ["localtime", "posixrules", "Factory", "right/UTC", "posix/Europe/London"]
EVERYWHERE_THE_SAME = ["Europe/London", "UTC", "Etc/GMT+5", "America/New_York", "GB"]


def _with_zone(zone: str) -> dict[str, object]:
    document = copy.deepcopy(HIPS)
    document["calendar"]["time_zone"] = zone
    return document


@pytest.mark.parametrize("zone", HOST_DEPENDENT)
def test_a_host_dependent_zone_is_a_located_policy_problem(zone: str) -> None:
    assert depends_on_host(zone)
    errors = [p for p in policy_problems(_with_zone(zone)) if p.severity == "error"]
    assert [(p.pointer, p.message) for p in errors] == [
        ("/calendar/time_zone", f'a time zone whose meaning depends on the machine "{zone}"')
    ]
    assert errors[0].hint is not None
    assert zone not in errors[0].hint  # never suggested as its own correction
    with pytest.raises(InvalidPolicy):
        load_policy(_with_zone(zone))


@pytest.mark.parametrize("zone", HOST_DEPENDENT)
def test_the_working_calendar_refuses_a_host_dependent_zone(zone: str) -> None:
    with pytest.raises(CalendarError, match="depends on the machine"):
        working_calendar(zone, "none")


@pytest.mark.parametrize("zone", EVERYWHERE_THE_SAME)
def test_zones_the_tz_database_defines_are_accepted(zone: str) -> None:
    assert not depends_on_host(zone)
    assert load_policy(_with_zone(zone)).calendar.time_zone == zone


def test_the_localtime_policy_copy_is_refused_by_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As ../shared/repro/d4_case.json with a copy of HIPS whose zone is localtime.
    policy = tmp_path / "hips-localtime.json"
    policy.write_text(json.dumps(_with_zone("localtime")), "utf-8")
    case = "examples/cases/pan-cheshire-step1-overdue.json"
    status = main(["evaluate", case, "--policy", str(policy), "--as-of", "2026-06-22T09:00:00Z"])
    _, err = capsys.readouterr()
    assert status == 1
    assert f"{policy}: /calendar/time_zone: a time zone whose meaning depends" in err
