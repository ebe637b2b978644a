"""The policy model's own values: `FieldValues`, the immutable ``where`` of an `EventMatch`."""

from __future__ import annotations

import attrs
import pytest

from challenge_rules.converter import default_converter
from challenge_rules.loading import shipped_policy
from challenge_rules.policy import EventMatch, FieldValues, Policy

WHERE = {"purpose": ("front-door", "out-of-hours"), "urgent": True}


def test_where_is_built_from_a_dict_and_reads_like_one() -> None:
    match = EventMatch(kind="contact_made", where=WHERE)
    assert isinstance(match.where, FieldValues)
    assert match.where == WHERE
    assert match.where["urgent"] is True
    assert match.where.get("missing") is None
    assert dict(match.where) == WHERE
    assert len(match.where) == 2
    assert EventMatch(kind="contact_made").where == {}


def test_where_cannot_be_changed() -> None:
    match = EventMatch(kind="contact_made", where=WHERE)
    with pytest.raises(TypeError):
        match.where["purpose"] = "elsewhere"  # type: ignore[index]
    with pytest.raises(AttributeError):
        match.where._values = {}  # type: ignore[misc]


def test_where_does_not_follow_changes_to_the_dict_it_came_from() -> None:
    given = dict(WHERE)
    match = EventMatch(kind="contact_made", where=given)
    before = hash(match)
    given["purpose"] = "elsewhere"
    assert match.where["purpose"] == ("front-door", "out-of-hours")
    assert hash(match) == before


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [
        ({"a": "x", "b": True}, {"b": True, "a": "x"}, True),
        ({"a": "x"}, {"a": "y"}, False),
        ({"a": ("x", "y")}, {"a": ("y", "x")}, False),  # the order of choices is kept
        ({}, {}, True),
    ],
)
def test_equal_matches_hash_alike(first: dict, second: dict, equal: bool) -> None:
    one, other = EventMatch("k", first), EventMatch("k", second)
    assert (one == other) is equal
    if equal:
        assert hash(one) == hash(other)


def test_a_policy_with_a_different_where_is_a_different_policy() -> None:
    policy = shipped_policy("pan-cheshire")
    urgency = policy.urgency[0]
    action = urgency.immediate_actions[0]
    changed = attrs.evolve(action, discharged_by=EventMatch("contact_made", {"purpose": "x"}))
    other = attrs.evolve(policy, urgency=(attrs.evolve(urgency, immediate_actions=(changed,)),))
    assert other != policy
    assert len({policy, other}) == 2


def test_where_round_trips_through_json() -> None:
    policy = shipped_policy("pan-cheshire")
    converter = default_converter()
    document = converter.unstructure(policy)
    assert converter.structure(document, Policy) == policy
    where = document["urgency"][0]["immediate_actions"][0]["discharged_by"]["where"]
    assert isinstance(where, dict)
    assert all(not isinstance(v, tuple) for v in where.values())
