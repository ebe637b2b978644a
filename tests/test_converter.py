"""The converter's lazily made hooks write and read what cattrs' eager ones do.

`make_converter` makes each event class's hook, and each document's, on
first use (`_convert._events_by_kind`, `_unstructure_events`,
`_document_hook`); these tests compare it with a converter set up the eager
way, with cattrs' own tagged-union strategy, on drawn policies and histories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from cattrs.gen import make_dict_structure_fn
from cattrs.strategies import configure_tagged_union
from hypothesis import given, settings

from challenge_rules._convert import _without_schema
from challenge_rules.converter import make_converter
from challenge_rules.history import EVENT_TYPES, AnyEvent, CaseHistory
from challenge_rules.loading import shipped_policies, shipped_policy
from challenge_rules.policy import Policy
from challenge_rules.testing import Case, cases

if TYPE_CHECKING:
    from cattrs import Converter


def eager(*, detailed_validation: bool = True) -> Converter:
    """The converter as it was built before its hooks were made lazily."""
    converter = make_converter(detailed_validation=detailed_validation)
    configure_tagged_union(
        AnyEvent,
        converter,
        tag_generator=lambda cls: cls.kind,  # type: ignore[attr-defined]
        tag_name="kind",
    )
    for document in (CaseHistory, Policy):
        structure = make_dict_structure_fn(document, converter)
        converter.register_structure_hook(document, _without_schema(structure))
    return converter


@settings(max_examples=30)
@given(case=cases(max_events=20))
def test_histories_are_written_and_read_as_the_eager_converter_does(case: Case) -> None:
    lazy, reference = make_converter(), eager()
    written: dict[str, Any] = lazy.unstructure(case.history)
    assert written == reference.unstructure(case.history)
    assert [list(event) for event in written["events"]] == [
        list(event) for event in reference.unstructure(case.history)["events"]
    ]
    assert lazy.structure(written, CaseHistory) == case.history
    assert reference.structure(written, CaseHistory) == case.history
    fast = make_converter(detailed_validation=False)
    assert fast.structure(written, CaseHistory) == case.history


@settings(max_examples=15)
@given(case=cases(max_events=5))
def test_policies_are_written_and_read_as_the_eager_converter_does(case: Case) -> None:
    lazy, reference = make_converter(), eager()
    written = lazy.unstructure(case.policy)
    assert written == reference.unstructure(case.policy)
    assert lazy.structure(written, Policy) == reference.structure(written, Policy) == case.policy


@pytest.mark.parametrize("policy_id", shipped_policies())
def test_shipped_policies_are_read_as_the_eager_converter_reads_them(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    written = eager().unstructure(policy)
    assert make_converter().structure(written, Policy) == policy
    assert make_converter(detailed_validation=False).structure(written, Policy) == policy


def test_an_unknown_event_class_is_refused_as_by_the_tagged_union() -> None:
    history = CaseHistory.__new__(CaseHistory)
    with pytest.raises(KeyError):
        make_converter().unstructure(history, AnyEvent)
    with pytest.raises(KeyError):
        eager().unstructure(history, AnyEvent)


def test_an_unknown_kind_is_refused_with_every_kind_named() -> None:
    expected = "kind: expected one of " + ", ".join(EVENT_TYPES) + ", found 'nope'"
    with pytest.raises(ValueError, match=f"^{expected}$"):
        make_converter().structure({"kind": "nope"}, AnyEvent)
