"""The text helpers every problem message uses: one behaviour for "did you mean"."""

from __future__ import annotations

import pytest

from challenge_rules._semantic import resolves
from challenge_rules._text import LISTED, closest, listing, short, suggest, whole_number


@pytest.mark.parametrize(
    ("word", "choices", "found"),
    [
        ("workingdays", ["working_days", "hours"], "working_days"),  # a close misspelling
        ("Working_Days", ["working_days"], "working_days"),  # differs only in case
        ("WORKING-DAYS-PLEASE", ["working-days-please"], "working-days-please"),
        ("zzz", ["working_days", "hours"], None),  # nothing close
        ("step-1", [], None),  # no choices
        (3, ["3"], None),  # only text has a misspelling
        ("1", [1, 2], "1"),  # choices compared as text
    ],
)
def test_closest(word: object, choices: list[object], found: str | None) -> None:
    assert closest(word, choices) == found


def test_suggest_words_the_hint() -> None:
    assert (
        suggest("hips-stage2", ["hips-stage-2", "hips-stage-3"]) == 'did you mean "hips-stage-2"?'
    )
    assert suggest("zzz", ["hips-stage-2"]) is None


def test_the_schema_messages_semantic_checks_and_history_checks_suggest_alike() -> None:
    from challenge_rules import _history_checks, _messages, _semantic  # noqa: PLC0415

    for module in (_messages, _semantic, _history_checks):
        assert module.suggest is suggest


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("short", 60, "short"),
        ("x" * 60, 60, "x" * 60),
        ("x" * 61, 60, "x" * 57 + "..."),
        ("abcdef", 5, "ab..."),
    ],
)
def test_short(text: str, limit: int, shown: str) -> None:
    assert short(text, limit) == shown
    assert len(short(text, limit)) <= limit


def test_listing() -> None:
    assert listing([]) == "(none are defined)"
    assert listing([], empty="none") == "none"
    assert listing(["b", "a", "b"]) == "b, a"
    names = [f"n{i:02}" for i in range(LISTED + 3)]
    assert listing(names) == ", ".join(names[:LISTED]) + ", and 3 more"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("12", 12),
        ("007", 7),
        ("", None),
        ("-1", None),
        ("1.5", None),
        ("¹", None),
        ("١٢", None),
        (" 1", None),
    ],
)
def test_whole_number_takes_ascii_digits_only(text: str, number: int | None) -> None:
    assert whole_number(text) == number


def test_a_pointer_through_a_superscript_digit_resolves_to_nothing() -> None:
    # Found by the robustness suite: "¹".isdigit() is true and int("¹") raises.
    assert not resolves({"stages": [{}]}, "/stages/¹")
    assert resolves({"stages": [{}]}, "/stages/0")
