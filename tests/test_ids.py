"""The id rules come from the packaged JSON Schemas: the Python checks hold no copy of their own.

``_id_rules`` is generated from the schemas; the first test fails when it is stale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from challenge_rules import _id_rules, _ids
from challenge_rules.history import RecordMade

_AT = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)


def test_the_generated_rules_are_the_schemas() -> None:
    written = Path(_id_rules.__file__).read_text(encoding="utf-8")
    assert written == _ids.rules_source(), "stale: run python scripts/generate_data.py"
    assert _ids._definition("policy", "id")["pattern"] == _ids.ID_PATTERN
    assert _ids._definition("history", "event_id")["maxLength"] == _ids.EVENT_ID_MAX_LENGTH


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("step-1", True),
        ("line_manager", True),
        ("0", True),
        ("Step-1", False),
        ("-x", False),
        ("a\n", False),
        ("", False),
    ],
)
def test_policy_ids(value: str, valid: bool) -> None:
    assert (_ids.ID_RE.fullmatch(value) is not None) is valid
    # A history's names of policy parts follow the same rule.
    if valid:
        RecordMade(id="e1", at=_AT, record="agency_record", stage=value)
    else:
        with pytest.raises(ValueError, match="stage"):
            RecordMade(id="e1", at=_AT, record="agency_record", stage=value)


def test_an_id_too_long_for_the_schema_is_refused() -> None:
    longest = "a" * _ids.ID_MAX_LENGTH
    RecordMade(id="e1", at=_AT, record="agency_record", stage=longest)
    with pytest.raises(ValueError, match="stage"):
        RecordMade(id="e1", at=_AT, record="agency_record", stage=longest + "a")


def test_event_ids() -> None:
    assert _ids.EVENT_ID_RE.fullmatch("EV-2026.0001:a")
    assert not _ids.EVENT_ID_RE.fullmatch(".e1")
    assert re.compile(_ids.EVENT_ID_PATTERN).pattern.startswith("^")
