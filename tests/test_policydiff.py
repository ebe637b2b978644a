"""`challenge_rules.policydiff` and `challenge-rules diff`: changes keyed by id, in plain words."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules.calendar import Timescale
from challenge_rules.cli import main
from challenge_rules.converter import make_converter
from challenge_rules.loading import load_policy, shipped_policies, shipped_policy
from challenge_rules.policy import Actor, DueSoon, Duty, EventMatch, Gap, Policy, RouteWhen
from challenge_rules.policydiff import diff, render_text, to_json, words
from challenge_rules.testing import policies, timescales

SHIPPED = shipped_policies()
CONVERTER = make_converter()
WHOLE = (Timescale, Actor, EventMatch, DueSoon, RouteWhen)


def _replace_stage(policy: Policy, index: int, **changes: object) -> Policy:
    stages = list(policy.stages)
    stages[index] = attrs.evolve(stages[index], **changes)
    return attrs.evolve(policy, stages=tuple(stages))


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_a_shipped_policy_diffed_with_itself_is_empty(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    result = diff(policy, policy)
    assert result.same
    assert "no changes" in render_text(result)


@given(policies())
def test_a_drawn_policy_diffed_with_itself_is_empty(policy: Policy) -> None:
    assert diff(policy, policy).changes == ()


@given(policies(), st.data())
def test_one_timescale_changed_is_one_change_naming_it(policy: Policy, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(policy.stages) - 1))
    old = policy.stages[index].timescale
    new = data.draw(timescales().filter(lambda t: t != old))
    changed = _replace_stage(policy, index, timescale=new)
    [change] = diff(policy, changed).changes
    assert change.path == ("stages", policy.stages[index].id, "timescale")
    assert change.new_pointer == f"/stages/{index}/timescale"
    assert change.kind == "changed"
    assert str(new) in change.what
    assert policy.stages[index].id in change.what
    assert change.new == CONVERTER.unstructure(new)  # as a policy file says it


@given(policies(), st.data())
def test_each_change_holds_what_the_two_files_hold_at_its_pointers(
    policy: Policy, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(policy.stages) - 1))
    new = data.draw(timescales().filter(lambda t: t != policy.stages[index].timescale))
    retimed = _replace_stage(policy, index, timescale=new)
    changed = attrs.evolve(retimed, stages=retimed.stages[::-1])  # pointers differ in the two
    old_file, new_file = CONVERTER.unstructure(policy), CONVERTER.unstructure(changed)
    found = diff(policy, changed).changes
    assert any(c.kind == "changed" for c in found)
    for change in (c for c in found if c.kind != "reordered"):  # a reordering holds the ids
        if change.old_pointer is not None:
            assert change.old == resolve_pointer(old_file, change.old_pointer)
        if change.new_pointer is not None:
            assert change.new == resolve_pointer(new_file, change.new_pointer)


def test_the_worked_words_of_a_shorter_timescale() -> None:
    old = shipped_policy("pan-cheshire")
    new = _replace_stage(old, 1, timescale=Timescale("working_days", 3))
    [change] = diff(old, new).changes
    assert change.what == (
        'stage "step-1" (Step 1: Line Manager to Line Manager (Day 3-7)): timescale changed '
        "from 5 working days to 3 working days"
    )


def test_elements_are_matched_by_id_not_position() -> None:
    old = shipped_policy("hips")
    # A new first stage moves every other stage along: one addition and a reordering, not
    # every stage changed.
    first = attrs.evolve(old.stages[0], id="stage-0", name="Stage 0: think it over")
    new = attrs.evolve(old, stages=(first, *old.stages))
    kinds = sorted(c.kind for c in diff(old, new).changes)
    assert kinds == ["added"]
    [added] = diff(old, new).changes
    assert added.path == ("stages", "stage-0")
    assert added.new_pointer == "/stages/0"
    assert added.old_pointer is None
    assert "Stage 0: think it over" in added.what


def test_a_duty_added_and_a_fallback_removed() -> None:
    old = shipped_policy("pan-cheshire")
    duty = Duty(
        id="tell-the-family",
        clause=old.duties[0].clause,
        action="Tell the family what was decided.",
        who=old.duties[0].who,
        trigger=old.duties[0].trigger,
        discharged_by=old.duties[0].discharged_by,
        timescale=Timescale("working_days", 2),
    )
    new = attrs.evolve(old, duties=(*old.duties, duty), fallbacks=old.fallbacks[1:])
    changes = {c.kind: c for c in diff(old, new).changes}
    assert set(changes) == {"added", "removed"}
    assert changes["added"].path == ("duties", "tell-the-family")
    assert "Tell the family what was decided." in changes["added"].what
    assert "within 2 working days" in changes["added"].what
    assert changes["removed"].path == ("fallbacks", old.fallbacks[0].id)
    assert changes["removed"].old_pointer == "/fallbacks/0"


def test_a_quote_and_contacts_changed() -> None:
    old = shipped_policy("hips")
    clauses = (attrs.evolve(old.clauses[0], quote="New words."), *old.clauses[1:])
    contacts = (attrs.evolve(old.contacts[0], email="new@example.org"), *old.contacts[1:])
    changes = diff(old, attrs.evolve(old, clauses=clauses, contacts=contacts)).changes
    assert [c.path for c in changes] == [
        ("clauses", old.clauses[0].id, "quote"),
        ("contacts", old.contacts[0].id, "email"),
    ]
    assert '"New words."' in changes[0].what
    assert "new@example.org" in changes[1].what


def test_every_field_of_the_model_is_compared() -> None:
    # The walk follows attrs: a change to any top-level field is seen (none is skipped).
    policy = shipped_policy("pan-cheshire")
    for field in attrs.fields(Policy):
        value = getattr(policy, field.name)
        other = (
            ()
            if isinstance(value, tuple) and value
            else getattr(shipped_policy("hips"), field.name)
        )
        if other == value:
            continue
        changed = attrs.evolve(policy, **{field.name: other})
        assert diff(policy, changed).changes, field.name


def test_words() -> None:
    assert words(Timescale("hours", 48)) == "48 hours"
    assert words(None) == "none"
    assert words(("a", "b")) == '"a", "b"'
    assert words(True) == "yes"


def test_json_output_counts_and_locates() -> None:
    old = shipped_policy("pan-cheshire")
    new = _replace_stage(old, 1, timescale=Timescale("working_days", 3))
    data = to_json(diff(old, new))
    assert data["same"] is False
    assert data["counts"] == {"added": 0, "removed": 0, "changed": 1, "reordered": 0}
    assert data["changes"][0]["old"] == {"unit": "working_days", "amount": 5}
    assert data["changes"][0]["new"] == {"unit": "working_days", "amount": 3}
    json.dumps(data)


def test_the_command_exits_as_diff_does(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["diff", "hips", "hips"]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["diff", "hips", "pan-cheshire", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["same"] is False
    assert main(["diff", "hips", "no-such-policy"]) == 2
    assert "no shipped policy" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["diff", str(broken), "hips"]) == 2
    assert str(broken) in capsys.readouterr().err


# --- any one text changed anywhere is one change at its place ------------------------

Step = tuple[str, int | None]


def _text_leaves(value: object, steps: tuple[Step, ...] = ()) -> list[tuple[Step, ...]]:
    """Paths to every text field (not a key) of every attrs value inside ``value``."""
    found: list[tuple[Step, ...]] = []
    for field in attrs.fields(type(value)):  # type: ignore[misc]
        item = getattr(value, field.name)
        if isinstance(item, str) and not isinstance(item, enum.Enum):
            if field.name not in {"id", "pointer"}:  # keys: a changed key is a new element
                found.append((*steps, (field.name, None)))
        elif isinstance(item, WHOLE):
            continue  # compared whole, not field by field: see the test of a timescale
        elif attrs.has(type(item)):
            found += _text_leaves(item, (*steps, (field.name, None)))
        elif isinstance(item, tuple):
            # Only lists of things with a key are matched element by element (the rest,
            # such as a stage's participants, are compared whole).
            for index, element in enumerate(item):
                if hasattr(element, "id") or isinstance(element, Gap):
                    found += _text_leaves(element, (*steps, (field.name, index)))
    return found


def _replace(value: object, steps: tuple[Step, ...], text: str) -> object:
    (name, index), rest = steps[0], steps[1:]
    item = getattr(value, name)
    if index is None:
        new = text if not rest else _replace(item, rest, text)
    else:
        new = (*item[:index], _replace(item[index], rest, text), *item[index + 1 :])
    return attrs.evolve(value, **{name: new})  # type: ignore[misc]


@given(policies(), st.data())
def test_any_one_text_changed_is_one_change_at_its_pointer(
    policy: Policy, data: st.DataObject
) -> None:
    steps = data.draw(st.sampled_from(_text_leaves(policy)))
    changed = _replace(policy, steps, "A changed text.")
    assert isinstance(changed, Policy)
    [change] = diff(policy, changed).changes
    pointer = "".join(f"/{name}" + ("" if at is None else f"/{at}") for name, at in steps)
    assert change.new_pointer == pointer
    assert change.kind == "changed"
    assert change.new == "A changed text."
    assert '"A changed text."' in change.what
    assert change.path[-1] == steps[-1][0]


def resolve_pointer(document: object, pointer: str) -> object:
    """The value at a JSON pointer (RFC 6901)."""
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        document = document[int(key)] if isinstance(document, list) else document[key]  # type: ignore[index]
    return document


STRUCTURE = load_policy(Path(__file__).parent / "policies" / "structure.json")


def test_a_route_added_removed_and_changed_is_said_with_its_condition_and_timescale() -> None:
    step_2 = STRUCTURE.stages[1]
    urgent, otherwise = step_2.routes
    without = _replace_stage(STRUCTURE, 1, routes=(otherwise,))
    [added] = diff(without, STRUCTURE).changes
    assert added.kind == "added"
    assert added.new_pointer == "/stages/1/routes/0"
    assert added.what == (
        'stage "step-2" (Step 2: managers): route "urgent" added: Where the risk is assessed as '
        "At risk of significant harm while the stage is open, those taking part in the stage "
        "must, within 1 working day: The managers resolve the matter urgently."
    )
    [removed] = diff(STRUCTURE, without).changes
    assert removed.kind == "removed"
    assert 'route "urgent" removed (was: Where the risk is assessed as' in removed.what
    slower = attrs.evolve(
        urgent,
        timescale=Timescale("working_days", 2),
        when=RouteWhen(risks=urgent.when.risks if urgent.when else (), natures=("neglect",)),
    )
    changes = diff(STRUCTURE, _replace_stage(STRUCTURE, 1, routes=(slower, otherwise))).changes
    condition, timescale = (c.what for c in changes)
    assert condition == (
        'stage "step-2" (Step 2: managers), route "urgent": its condition changed from where '
        "the risk is assessed as significant-harm while the stage is open to where the risk is "
        "assessed as significant-harm while the stage is open and the concern is about neglect"
    )
    assert timescale == (
        'stage "step-2" (Step 2: managers), route "urgent": timescale changed from 1 working day '
        "to 2 working days"
    )


def test_a_due_soon_window_added_and_changed_at_stage_and_policy_level() -> None:
    window = DueSoon(Timescale("working_days", 2))
    [at_stage] = diff(STRUCTURE, _replace_stage(STRUCTURE, 0, due_soon=window)).changes
    assert at_stage.new_pointer == "/stages/0/due_soon"
    assert at_stage.what == (
        'stage "step-1" (Step 1: practitioners): due-soon window added: the last 2 working days '
        "before it is due"
    )
    windowed = attrs.evolve(STRUCTURE, due_soon=window)
    [changed] = diff(
        windowed, attrs.evolve(STRUCTURE, due_soon=DueSoon(Timescale("hours", 4)))
    ).changes
    assert changed.what == (
        "Due-soon window changed from the last 2 working days before it is due to the last "
        "4 hours before it is due"
    )
    assert changed.new == {"before": {"unit": "hours", "amount": 4}}


def test_a_step_added_is_said_with_its_timescale_and_what_records_it() -> None:
    step_3 = STRUCTURE.stages[2]
    fewer = _replace_stage(STRUCTURE, 2, steps=step_3.steps[:1])
    [added] = diff(fewer, STRUCTURE).changes
    assert added.what == (
        'stage "step-3" (Step 3: heads of service): step "meeting" (Meeting) added: Within 5 '
        "working days of the step before it being done (the first step: from where the stage "
        "clock starts): Convene a meeting to resolve the matter. Also done when the case history "
        "records a meeting held event (meeting: resolution)."
    )


def test_an_action_plan_review_added_is_said_as_the_document_says_it() -> None:
    [added] = diff(attrs.evolve(STRUCTURE, action_plan=None), STRUCTURE).changes
    assert added.new_pointer == "/action_plan"
    assert added.what == (
        "The action-plan review added: Once an action plan is agreed, those who took part in "
        "the stage it was agreed at must, by the follow-up date it sets: Review the action plan "
        "agreed at resolution. It is done when the case history records an action plan "
        "reviewed event."
    )
