"""`challenge_rules._gaps`: gaps addressed by id path, and counted by kind."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings

from challenge_rules._gaps import id_path, locate, where
from challenge_rules.cli import main
from challenge_rules.converter import default_converter
from challenge_rules.errors import pointer_join
from challenge_rules.loading import shipped_policies, shipped_policy
from challenge_rules.policy import UNCLASSIFIED, Gap, GapKind, Policy
from challenge_rules.testing import policies


def test_an_id_path_survives_a_duty_inserted_before_the_one_it_names() -> None:
    policy = shipped_policy("pan-cheshire")
    gap = next(g for g in policy.gaps if g.about == "/duties/tell-line-managers-step-2")
    before = locate(policy, gap)
    first = attrs.evolve(policy.duties[0], id="inserted-first")
    moved = attrs.evolve(policy, duties=(first, *policy.duties))
    after = locate(moved, gap)
    assert before is not None
    assert after is not None
    assert after[1] == before[1] + 1  # the same duty, one place later
    assert moved.duties[after[1]].id == "tell-line-managers-step-2"  # type: ignore[index]


def test_id_path_names_by_id_where_items_have_one_and_by_index_where_not() -> None:
    policy = shipped_policy("darlington")
    assert id_path(policy, "/stages/0/on_unresolved/timescale") == (
        "/stages/stage-1/on_unresolved/timescale"
    )
    assert id_path(policy, "/guidance/0/items/0") == f"/guidance/{policy.guidance[0].id}/items/0"
    assert id_path(policy, "/stages/99") is None
    assert id_path(policy, "") == ""


def test_where_is_the_about_or_the_older_pointer() -> None:
    assert where(Gap(id="a", kind=GapKind.SOURCE_SILENT, about="/x", text="t")) == "/x"
    assert where(Gap(pointer="/stages/0", text="t")) == "/stages/0"


def test_gap_counts_list_every_kind_and_the_older_form_only_when_there_is_one() -> None:
    policy = shipped_policy("hips")
    assert policy.gap_counts() == {"source_silent": 8, "format_cannot_say": 1}
    older = attrs.evolve(policy, gaps=(*policy.gaps, Gap(pointer="", text="t")))
    assert older.gap_counts()[UNCLASSIFIED] == 1
    assert attrs.evolve(policy, gaps=()).gap_counts() == {
        "source_silent": 0,
        "format_cannot_say": 0,
    }


@pytest.mark.parametrize("policy_id", shipped_policies())
def test_every_shipped_gap_names_a_part_of_its_policy(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    for gap in policy.gaps:
        assert gap.kind is not None
        assert locate(policy, gap) is not None, gap.id


@given(policies(max_stages=3))
@settings(max_examples=25)
def test_id_path_and_locate_agree(policy: Policy) -> None:
    document = default_converter().unstructure(policy)
    for gap in policy.gaps:
        at = locate(policy, gap)
        assert at is not None
        node = document
        for step in at:
            node = node[step]
        assert id_path(policy, pointer_join(*at)) == gap.about


def test_validate_counts_gaps_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--gaps", "hips"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "hips: gaps: 9 (8 source_silent, 1 format_cannot_say)" in out


def test_validate_counts_gaps_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json  # noqa: PLC0415

    assert main(["validate", "--gaps", "--format", "json", "dudley"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["files"]
    assert found["gaps"] == {"source_silent": 5, "format_cannot_say": 0}
