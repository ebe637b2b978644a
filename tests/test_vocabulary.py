"""The one walk over a policy: the references the model declares, with their paths."""

from __future__ import annotations

import typing

import attrs
import pytest
from hypothesis import given

from challenge_rules import _references
from challenge_rules import policy as model
from challenge_rules._references import CLAUSE, PURPOSE, REFERS, ROLE, STAGE, TARGETS
from challenge_rules._semantic import resolves
from challenge_rules._vocabulary import vocabulary, walk
from challenge_rules.converter import default_converter
from challenge_rules.errors import pointer_join
from challenge_rules.loading import shipped_policies, shipped_policy
from challenge_rules.policy import Actor, Escalation, Policy, Stage
from challenge_rules.testing import policies

SHIPPED = [shipped_policy(p) for p in shipped_policies()]


def test_a_stage_yields_its_references_with_their_paths() -> None:
    stage = Stage(
        id="s1",
        name="Stage 1",
        clause="c1",
        action="Talk",
        participants=(Actor("practitioner"), Actor("manager")),
        contacts=("front-door",),
        on_unresolved=Escalation(clause="c2", action="Tell", by=Actor("manager"), to="s2"),
    )
    found = [(r.value, r.path, r.target, r.defining, r.rule) for r in walk(stage, ("stages", 0))]
    assert found == [
        ("s1", ("stages", 0, "id"), STAGE, True, False),
        ("c1", ("stages", 0, "clause"), CLAUSE, False, True),
        ("practitioner", ("stages", 0, "participants", 0, "role"), ROLE, False, False),
        ("manager", ("stages", 0, "participants", 1, "role"), ROLE, False, False),
        ("front-door", ("stages", 0, "contacts", 0), PURPOSE, False, False),
        ("c2", ("stages", 0, "on_unresolved", "clause"), CLAUSE, False, True),
        ("manager", ("stages", 0, "on_unresolved", "by", "role"), ROLE, False, False),
        ("s2", ("stages", 0, "on_unresolved", "to"), STAGE, False, False),
    ]


def _declared_fields() -> list[tuple[str, str]]:
    found = []
    for name in model.__all__:
        cls = getattr(model, name)
        if isinstance(cls, type) and attrs.has(cls):
            found += [(name, f.name) for f in attrs.fields(cls) if REFERS in f.metadata]
    return found


def test_every_declared_reference_is_a_name_or_names() -> None:
    for class_name, field_name in _declared_fields():
        hint = typing.get_type_hints(getattr(model, class_name))[field_name]
        assert hint in {str, str | None, tuple[str, ...]}, (class_name, field_name, hint)


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.id)
def test_every_path_points_at_its_value(policy: Policy) -> None:
    document = default_converter().unstructure(policy)
    for reference in walk(policy):
        pointer = pointer_join(*reference.path)
        assert resolves(document, pointer), pointer
        node: typing.Any = document
        for part in reference.path:
            node = node[part]
        assert node == reference.value


@given(policies())
def test_generated_policies_refer_only_to_what_they_define(policy: Policy) -> None:
    names = vocabulary(policy)
    for reference in names.references:
        assert reference.value in names.known(reference.target), reference


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.id)
def test_the_vocabulary_names_what_the_policy_defines(policy: Policy) -> None:
    names = vocabulary(policy)
    assert names.known(ROLE) == {r.id for r in policy.roles}
    assert names.known(STAGE) == {s.id for s in policy.all_stages()}
    assert names.known(PURPOSE) == {c.purpose for c in policy.contacts}
    assert set(names.names) == set(TARGETS)
    assert [ladder.stages for ladder in names.ladders] == [
        policy.stages,
        *(t.stages for t in policy.tracks),
    ]
    assert [ladder.track for ladder in names.ladders] == [None, *(t.id for t in policy.tracks)]


@pytest.mark.parametrize("policy", SHIPPED, ids=lambda p: p.id)
def test_rule_clauses_are_the_clauses_of_steps_fallbacks_urgency_duties_exclusions(
    policy: Policy,
) -> None:
    expected = set()
    for stage in policy.all_stages():
        expected |= {stage.clause, stage.timescale_clause}
        if stage.on_unresolved is not None:
            expected.add(stage.on_unresolved.clause)
    for rules in (policy.duties, policy.fallbacks, policy.urgency, policy.scope.exclusions):
        expected |= {r.clause for r in rules}
    expected.discard(None)
    clauses = vocabulary(policy).rule_clauses()
    assert set(clauses) == expected
    assert len(clauses) == len(set(clauses))


def test_targets_are_named_for_messages() -> None:
    assert [t.collection for t in TARGETS] == [
        "sources",
        "clauses",
        "roles",
        "stages",
        "contacts",
        "forms",
        "sectors",
        "risk_levels",
        "partnerships",
        "topics",
    ]
    assert all(
        hasattr(Policy, "__attrs_attrs__") and t.collection in attrs.fields_dict(Policy)
        for t in TARGETS
    )
    assert _references.refers(ROLE) == {_references.REFERS: ROLE, _references.RULE: False}


@pytest.mark.parametrize(
    "cls", [value for value in vars(model).values() if isinstance(value, type) and attrs.has(value)]
)
def test_the_walk_reads_each_field_s_type_as_get_type_hints_resolves_it(cls: type) -> None:
    # The walk's plans take the types attrs.resolve_types leaves on the fields (resolved once
    # per class, and by the converter already), which must be what get_type_hints says.
    hints = typing.get_type_hints(cls)
    assert {f.name: f.type for f in attrs.fields(attrs.resolve_types(cls))} == {
        f.name: hints[f.name] for f in attrs.fields(cls)
    }
