"""Versions of one policy in force by date (challenge_rules.versions), and the commands."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate, load_history, load_policy, policy_digest, shipped_policy
from challenge_rules._resources import policy_folder
from challenge_rules.cli import main
from challenge_rules.errors import InvalidHistory, InvalidPolicy, NotFound, UnknownVersion
from challenge_rules.evaluation import Status
from challenge_rules.history import DiscussionHeld, Outcome
from challenge_rules.loading import policy_problems
from challenge_rules.replay import replay
from challenge_rules.testing import cases, policies, policy_versions
from challenge_rules.versions import (
    PolicyVersions,
    is_versions_folder,
    load_versions,
    named_version,
    policy_or_versions,
    version_problems,
)

if TYPE_CHECKING:
    from challenge_rules.policy import Policy
    from challenge_rules.testing import Case

ROOT = Path(__file__).resolve().parents[1]
REVISED = ROOT / "examples" / "lifecycle" / "pan-cheshire-revised.json"  # 2026.1, 2026-09-01
CASELOAD = ROOT / "examples" / "lifecycle" / "caseload.jsonl"
JUNE = datetime.fromisoformat("2026-06-16T09:00:00+01:00")
OCTOBER = datetime.fromisoformat("2026-10-01T09:00:00+01:00")


def concern(at: str, *more: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": f"C-{at[:10]}",
        "events": [
            {
                "kind": "concern_raised",
                "id": "e1",
                "at": at,
                "raising": {"role": "practitioner", "agency": "School", "sector": "school"},
                "receiving": {"role": "practitioner", "agency": "Social care"},
                "area": "cheshire-east",
            },
            *more,
        ],
    }


def write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def document(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """pan-cheshire 2024.1 (from 2024-01-01) and 2026.1 (from 2026-09-01), one file each."""
    versions = tmp_path / "pan-cheshire"
    versions.mkdir()
    shutil.copy(policy_folder() / "pan-cheshire.json", versions / "2024.1.json")
    write(versions, "2026.1.json", {**document(REVISED), "id": "pan-cheshire"})
    return versions


# --- loading a folder ---------------------------------------------------------------------


def test_a_folder_holds_the_versions_in_date_order(folder: Path) -> None:
    found = load_versions(folder)
    assert found.id == "pan-cheshire"
    assert [p.version for p in found.versions] == ["2024.1", "2026.1"]
    old, new = found.versions
    assert found.last_day(old) == date(2026, 8, 31)
    assert found.last_day(new) is None
    assert found.in_force_on(date(2023, 12, 31)) is None
    assert found.in_force_on(date(2026, 8, 31)) is old
    assert found.in_force_on(date(2026, 9, 1)) is new
    assert found.version("2026.1") is new
    with pytest.raises(NotFound) as caught:  # an UnknownVersion, also a NotFound
        found.version("2025.1")
    assert isinstance(caught.value, UnknownVersion)
    assert (caught.value.key, caught.value.available) == ("2025.1", ("2024.1", "2026.1"))
    assert (
        str(caught.value) == "no version '2025.1' of policy pan-cheshire (it has: 2024.1, 2026.1)"
    )
    with pytest.raises(
        UnknownVersion, match=r"^no version '9' of policy hips \(it has: 2024\.1\)$"
    ):
        named_version(shipped_policy("hips"), "9")


def test_scenario_files_beside_the_versions_are_not_versions(folder: Path) -> None:
    write(folder, "2024.1.scenarios.json", {"policy": "./2024.1.json", "scenarios": []})
    assert len(load_versions(folder).versions) == 2


def test_every_problem_of_a_folder_is_located_by_file_and_pointer(folder: Path) -> None:
    old = document(folder / "2024.1.json")
    write(folder, "again.json", {**old, "effective_from": "2025-01-01"})  # version twice
    write(
        folder, "other.json", {**old, "id": "other", "version": "9", "effective_from": "2030-01-01"}
    )
    write(folder, "broken.json", {**old, "stages": []})
    with pytest.raises(InvalidPolicy) as caught:
        load_versions(folder)
    found = {(Path(p.source or "").name, p.pointer) for p in caught.value.problems}
    assert ("broken.json", "/stages") in found
    assert ("other.json", "/id") in found
    assert ("again.json", "/version") in found or ("2024.1.json", "/version") in found
    assert all(p.source for p in caught.value.problems)


def test_overlapping_and_gapped_ranges_are_problems(folder: Path) -> None:
    old = document(folder / "2024.1.json")
    write(folder, "2024.1.json", {**old, "effective_until": "2026-09-15"})
    with pytest.raises(InvalidPolicy) as caught:
        load_versions(folder)
    (problem,) = caught.value.problems
    assert problem.pointer == "/effective_until"
    assert Path(problem.source or "").name == "2024.1.json"
    assert "overlaps version 2026.1" in problem.message

    write(folder, "2024.1.json", {**old, "effective_until": "2026-06-30"})
    with pytest.raises(InvalidPolicy) as caught:
        load_versions(folder)
    (problem,) = caught.value.problems
    assert (Path(problem.source or "").name, problem.pointer) == ("2026.1.json", "/effective_from")
    assert "no version is in force from 2026-07-01 to 2026-08-31" in problem.message

    write(folder, "2024.1.json", {**old, "effective_until": "2026-08-31"})  # exactly adjoining
    assert load_versions(folder).last_day(load_policy(folder / "2024.1.json")) == date(2026, 8, 31)


def test_a_last_day_before_the_first_is_a_policy_problem(folder: Path) -> None:
    old = {**document(folder / "2024.1.json"), "effective_until": "2023-12-31"}
    errors = [p for p in policy_problems(old) if p.severity == "error"]
    assert [p.pointer for p in errors] == ["/effective_until"]


def test_a_missing_or_empty_folder_is_a_located_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match="no such folder"):
        load_versions(tmp_path / "nothing")
    with pytest.raises(InvalidPolicy, match="holds no policy files"):
        load_versions(tmp_path)


# --- which version judges a case ------------------------------------------------------


def test_a_case_is_judged_by_the_version_in_force_when_its_concern_was_raised(
    folder: Path,
) -> None:
    found = load_versions(folder)
    june = load_history(concern("2026-06-08T10:00:00+01:00"))
    september = load_history(concern("2026-09-02T10:00:00+01:00"))
    assert found.for_case(june, OCTOBER).version == "2024.1"  # a later version: no change
    assert found.for_case(september, OCTOBER).version == "2026.1"
    early = load_history(concern("2023-06-08T10:00:00+01:00"))
    with pytest.raises(InvalidHistory) as caught:
        found.for_case(early, OCTOBER)
    (problem,) = caught.value.problems
    assert (problem.pointer, problem.event) == ("/events/0/at", "e1")


def test_a_version_that_applies_to_open_cases_takes_over_those_still_open(folder: Path) -> None:
    new = document(folder / "2026.1.json")
    write(folder, "2026.1.json", {**new, "applies_to_open_cases": True})
    found = load_versions(folder)
    still_open = load_history(concern("2026-06-08T10:00:00+01:00"))
    resolved = load_history(
        concern(
            "2026-06-08T10:00:00+01:00",
            {
                "kind": "discussion_held",
                "id": "e2",
                "at": "2026-06-09T15:00:00+01:00",
                "stage": "practitioners",
                "outcome": "resolved",
            },
        )
    )
    assert found.for_case(still_open, OCTOBER).version == "2026.1"
    assert found.for_case(still_open, JUNE).version == "2024.1"  # not yet in force
    assert found.for_case(resolved, OCTOBER).version == "2024.1"  # closed before it came in


STRUCTURE = ROOT / "tests" / "policies" / "structure.json"  # step-3 has timed steps


def _without_steps(policy: dict[str, Any]) -> dict[str, Any]:
    """``policy`` before its step 3 had timed steps (and their clause)."""
    stages = [{k: v for k, v in s.items() if k != "steps"} for s in policy["stages"]]
    clauses = [c for c in policy["clauses"] if c["id"] != "step-3-meeting"]
    return {**policy, "stages": stages, "clauses": clauses}


@pytest.fixture
def steps_added(tmp_path: Path) -> Path:
    """structure 1 (step 3 without steps) and 2 (with them, from 10 June, taking over)."""
    versions = tmp_path / "structure"
    versions.mkdir()
    policy = document(STRUCTURE)
    write(versions, "1.json", _without_steps(policy))
    write(
        versions,
        "2.json",
        {**policy, "version": "2", "effective_from": "2026-06-10", "applies_to_open_cases": True},
    )
    return versions


def _at_step_3(*later: dict[str, Any]) -> dict[str, Any]:
    """A case at step 3 since 3 June, with ``later`` events."""
    return {
        "reference": "TAKEOVER-1",
        "events": [
            {
                "kind": "concern_raised",
                "id": "e1",
                "at": "2026-06-01T10:00:00+01:00",
                "raising": {"role": "practitioner", "agency": "School"},
                "receiving": {"role": "practitioner", "agency": "Social care"},
            },
            *(
                {
                    "kind": "discussion_held",
                    "id": f"e{n}",
                    "at": f"2026-06-0{n}T10:00:00+01:00",
                    "stage": f"step-{n - 1}",
                    "outcome": "unresolved",
                }
                for n in (2, 3)
            ),
            *later,
        ],
    }


STEP_DONE = {
    "kind": "step_done",
    "id": "e4",
    "at": "2026-06-15T10:00:00+01:00",
    "stage": "step-3",
    "step": "discuss",
}


def test_a_take_over_is_decided_by_the_events_before_the_new_version(steps_added: Path) -> None:
    found = load_versions(steps_added)
    # The step is one only version 2 has: dated after 10 June, it does not stop the take-over.
    history = load_history(_at_step_3(STEP_DONE))
    assert found.for_case(history, JUNE).version == "2"
    assert evaluate(found.for_case(history, JUNE), history, JUNE).status is Status.OPEN
    # The same step dated before 10 June is version 1's to judge, and it refuses it, located.
    early = load_history(_at_step_3({**STEP_DONE, "at": "2026-06-05T10:00:00+01:00"}))
    chosen = found.for_case(early, JUNE)
    assert chosen.version == "1"
    with pytest.raises(InvalidHistory) as caught:
        evaluate(chosen, early, JUNE)
    assert [(p.pointer, p.event) for p in caught.value.problems] == [("/events/3/step", "e4")]
    # Recorded late, after 10 June, it still happened before: by its at.
    late = load_history(
        _at_step_3(
            {**STEP_DONE, "at": "2026-06-05T10:00:00+01:00", "recorded_at": JUNE.isoformat()}
        )
    )
    assert found.for_case(late, JUNE).version == "1"


def test_a_history_no_version_takes_is_refused_by_the_version_judging_it(
    steps_added: Path,
) -> None:
    found = load_versions(steps_added)
    unknown = {**STEP_DONE, "stage": "step-9"}  # no version has it
    history = load_history(_at_step_3(unknown))
    chosen = found.for_case(history, JUNE)
    assert chosen.version == "2"  # still open on 10 June: taken over
    with pytest.raises(InvalidHistory) as caught:
        evaluate(chosen, history, JUNE)
    assert [(p.pointer, p.event) for p in caught.value.problems] == [("/events/3/stage", "e4")]


def test_evaluate_with_a_folder_takes_over_a_case_with_a_step_only_the_new_version_has(
    steps_added: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write(tmp_path, "case.json", _at_step_3(STEP_DONE))
    as_of = ["--as-of", JUNE.isoformat()]
    assert main(["evaluate", "--policy", str(steps_added), *as_of, str(case)]) == 0
    assert "under policy structure (version 2)" in capsys.readouterr().out


# --- properties ---------------------------------------------------------------------------


def _concern_at(case: Case) -> datetime:
    return next(e for e in case.history.events if e.kind == "concern_raised").at


def _day_of_concern(case: Case) -> date:
    return _concern_at(case).astimezone(ZoneInfo(case.policy.calendar.time_zone)).date()


def _two_versions(policy: Policy, start: date, *, takes_over: bool) -> PolicyVersions:
    later = attrs.evolve(
        policy,
        version=policy.version + "-next",
        effective_from=start,
        applies_to_open_cases=takes_over,
    )
    return PolicyVersions.of((later, policy))


@settings(max_examples=40)
@given(case=cases(), shift=st.integers(-20, 20))
def test_without_a_take_over_the_version_is_the_one_in_force_on_the_concern_day(
    case: Case, shift: int
) -> None:
    start = _day_of_concern(case) + timedelta(days=shift)
    assume(start > case.policy.effective_from)
    assume(case.policy.effective_from <= _day_of_concern(case))  # else none is in force then
    versions = _two_versions(case.policy, start, takes_over=False)
    chosen = versions.for_case(case.history, case.as_of)
    assert chosen is versions.in_force_on(_day_of_concern(case))
    assert (chosen is case.policy) == (_day_of_concern(case) < start)
    # The moment evaluated at never matters without a take-over.
    assert versions.for_case(case.history, case.as_of + timedelta(days=400)) is chosen


@settings(max_examples=40)
@given(case=cases(), shift=st.integers(-10, 40))
def test_a_take_over_needs_a_case_still_open_when_the_version_came_in(
    case: Case, shift: int
) -> None:
    start = _day_of_concern(case) + timedelta(days=shift)
    assume(start > case.policy.effective_from)
    assume(case.policy.effective_from <= _day_of_concern(case))  # else none is in force then
    versions = _two_versions(case.policy, start, takes_over=True)
    later = versions.versions[1]
    came_in = datetime.combine(start, time(0), tzinfo=ZoneInfo(case.policy.calendar.time_zone))
    chosen = versions.for_case(case.history, case.as_of)
    if shift <= 0:
        assert chosen is later  # raised under it
    elif case.as_of < came_in:
        assert chosen is case.policy  # not yet in force at as_of
        # Closed (or not applicable) by as_of, before it came in: never taken over.
        status = evaluate(case.policy, case.history, case.as_of).status
        if status is not Status.OPEN:
            assert versions.for_case(case.history, came_in + timedelta(days=30)) is case.policy
    else:
        assert (chosen is later) == (
            evaluate(case.policy, case.history, came_in).status is Status.OPEN
        )


@settings(max_examples=40)
@given(found=policy_versions(), offsets=st.lists(st.integers(-5, 2000), max_size=8))
def test_every_day_from_the_first_has_exactly_one_version_in_force(
    found: PolicyVersions, offsets: list[int]
) -> None:
    assert version_problems([(p, None) for p in found.versions]) == ()
    first = found.versions[0].effective_from
    for offset in offsets:
        day = first + timedelta(days=offset)
        in_force = [
            p
            for p in found.versions
            if p.effective_from <= day and (found.last_day(p) or date.max) >= day
        ]
        assert len(in_force) == (1 if day >= first else 0)
        assert found.in_force_on(day) is (in_force[0] if in_force else None)
        if in_force:  # the latest version begun by then
            begun = [p for p in found.versions if p.effective_from <= day]
            assert in_force[0] is begun[-1]


@settings(max_examples=40)
@given(data=st.data())
def test_a_case_is_judged_by_its_own_version_or_a_later_one_in_force_by_as_of(
    data: st.DataObject,
) -> None:
    case = data.draw(cases(policies(max_stages=3)))
    before = timedelta(days=data.draw(st.integers(0, 300)))
    first = attrs.evolve(case.policy, effective_from=_day_of_concern(case) - before)
    found = data.draw(policy_versions(st.just(first)))
    own = found.in_force_at(_concern_at(case))
    assert own is not None  # the first version came in on or before the concern's day
    chosen = found.for_case(case.history, case.as_of)
    assert chosen.effective_from >= own.effective_from
    if chosen is not own:
        assert chosen.applies_to_open_cases
        zone = ZoneInfo(chosen.calendar.time_zone)
        assert datetime.combine(chosen.effective_from, time(0), tzinfo=zone) <= case.as_of
    if not any(p.applies_to_open_cases for p in found.versions):
        assert chosen is own


@settings(max_examples=40)
@given(data=st.data())
def test_events_after_the_take_over_never_change_which_version_judges_the_case(
    data: st.DataObject,
) -> None:
    case = data.draw(cases(policies(max_stages=3)))
    before = timedelta(days=data.draw(st.integers(0, 300)))
    first = attrs.evolve(case.policy, effective_from=_day_of_concern(case) - before)
    found = data.draw(policy_versions(st.just(first)))
    zone = ZoneInfo(first.calendar.time_zone)
    starts = [datetime.combine(p.effective_from, time(0), tzinfo=zone) for p in found.versions]
    since = max([_concern_at(case), *(s for s in starts if s <= case.as_of)])
    # An event no version can take (its stage is in none), dated after every take-over.
    added = DiscussionHeld(
        id="zz-added",
        at=since + timedelta(seconds=data.draw(st.integers(1, 10**6))),
        stage="zz-no-such-stage",
        outcome=Outcome.UNRESOLVED,
    )
    assume(all(e.id != added.id for e in case.history.events))
    invalid = attrs.evolve(case.history, events=(*case.history.events, added))
    chosen = found.for_case(case.history, case.as_of)
    assert found.for_case(invalid, case.as_of) is chosen
    with pytest.raises(InvalidHistory) as caught:  # refused by the version that judges it
        evaluate(chosen, invalid, case.as_of)
    assert added.id in {p.event for p in caught.value.problems}


def test_an_id_names_the_shipped_policy_else_a_folder_of_that_name(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(folder.parent)
    shutil.copytree(folder, "our-policy")
    shutil.copytree(folder, "hips")  # a shipped id: the shipped policy, whatever folders exist
    assert is_versions_folder("our-policy")
    assert not is_versions_folder("hips")
    assert not is_versions_folder("no-such-policy")
    assert isinstance(policy_or_versions("our-policy"), PolicyVersions)
    assert policy_or_versions("hips") is shipped_policy("hips")
    assert main(["versions", "our-policy"]) == 0
    assert "pan-cheshire: 2 versions" in capsys.readouterr().out
    case = write(folder.parent, "case.json", concern("2026-06-08T10:00:00+01:00"))
    as_of = ["--as-of", JUNE.isoformat()]
    assert main(["evaluate", "--policy", "our-policy", *as_of, str(case)]) == 0
    assert "(version 2024.1)" in capsys.readouterr().out
    assert main(["render", "no-such-policy"]) == 1
    assert "or of a folder of its versions" in capsys.readouterr().err


# --- the command line -------------------------------------------------------------------


def test_versions_lists_each_version_and_its_days(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["versions", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "pan-cheshire: 2 versions"
    assert lines[1].startswith("  2024.1: 2024-01-01 to 2026-08-31 (")
    assert lines[2] == f"    rules: {policy_digest(load_policy(folder / '2024.1.json'))}"
    assert lines[3].startswith("  2026.1: 2026-09-01 onwards (")
    assert lines[4] == f"    rules: {policy_digest(load_policy(folder / '2026.1.json'))}"
    assert main(["versions", str(folder), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["last_day"] for v in data["versions"]] == ["2026-08-31", None]
    assert data["versions"][1]["digest"] == policy_digest(load_policy(folder / "2026.1.json"))


def test_versions_of_a_bad_folder_says_where_and_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(folder, "copy.json", document(folder / "2024.1.json"))
    assert main(["versions", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "copy.json" in err or "2024.1.json" in err
    assert 'version "2024.1" is given twice' in err
    assert "Traceback" not in err


def test_evaluate_with_a_folder_chooses_by_date_or_by_name(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write(tmp_path, "case.json", concern("2026-06-08T10:00:00+01:00"))
    as_of = OCTOBER.isoformat()
    assert main(["evaluate", str(case), "--policy", str(folder), "--as-of", as_of]) == 0
    assert "(version 2024.1)" in capsys.readouterr().out
    argv = ["evaluate", str(case), "--policy", str(folder), "--policy-version", "2026.1"]
    assert main([*argv, "--as-of", as_of, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["policy_version"], data["policy_digest"]) == (
        "2026.1",
        policy_digest(load_policy(folder / "2026.1.json")),
    )
    argv[-1] = "2099.9"
    assert main([*argv, "--as-of", as_of]) == 1
    assert "2024.1, 2026.1" in capsys.readouterr().err


def test_replay_a_folder_against_a_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["replay", str(CASELOAD), "--policy", str(folder), "--against", str(REVISED)]
    assert main([*argv, "--as-of", JUNE.isoformat()]) == 0
    out = capsys.readouterr().out
    assert (
        "replayed pan-cheshire (the version in force for each case) against "
        "pan-cheshire-revised 2026.1" in out
    )
    assert "5 cases: 3 would change" in out
    # As the library: the folder judged by date gives what the old file gives.
    old = shipped_policy("pan-cheshire")
    by_date = list(replay(_cases(), load_versions(folder), load_policy(REVISED), JUNE))
    by_file = list(replay(_cases(), old, load_policy(REVISED), JUNE))
    assert by_date == by_file


def _cases() -> list[tuple[str, Any]]:
    from challenge_rules.replay import read_cases  # noqa: PLC0415

    return list(read_cases(CASELOAD))


@pytest.mark.parametrize("command", [["diagram"], ["render", "--format", "md"]])
def test_one_policy_commands_take_a_folder_and_the_version_asked_for(
    folder: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, str(folder), "--policy-version", "2026.1"]) == 0
    out = capsys.readouterr().out
    if command[0] == "render":
        assert "version 2026.1" in out
        assert policy_digest(load_policy(folder / "2026.1.json")) in out
    assert main([*command, str(folder)]) == 1
    err = capsys.readouterr().err
    assert "holds 2 versions of pan-cheshire: which one is not said" in err
    assert "2024.1, 2026.1" in err


def test_replay_json_names_the_version_and_digest_each_case_was_judged_by(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["replay", str(CASELOAD), "--policy", str(folder), "--against", str(REVISED)]
    assert main([*argv, "--as-of", JUNE.isoformat(), "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    old = load_policy(folder / "2024.1.json")
    for line in lines[:-1]:
        assert line["policy"]["old"] == {"version": "2024.1", "digest": policy_digest(old)}
        assert line["policy"]["new"]["version"] == "2026.1"


def test_validate_checks_a_folder_of_versions_file_by_file_and_across_files(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[-2].startswith(f"{folder}: valid")
    write(folder, "copy.json", document(folder / "2024.1.json"))
    write(folder, "broken.json", {**document(folder / "2024.1.json"), "stages": []})
    assert main(["validate", str(folder), "--format", "json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)["files"]
    errors = [p for p in result["problems"] if p["severity"] == "error"]
    assert {(Path(p["source"]).name, p["pointer"]) for p in errors} == {
        ("broken.json", "/stages"),
        ("copy.json", "/version"),
    }
    with pytest.raises(InvalidPolicy) as caught:
        load_versions(folder)
    assert {(Path(p.source or "").name, p.pointer) for p in caught.value.problems} == {
        (Path(p["source"]).name, p["pointer"]) for p in errors
    }  # validate reports what load_versions refuses
