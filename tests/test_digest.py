"""The policy digest: a function of the rules alone (challenge_rules._digest)."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate, load_history, load_policy, policy_digest, shipped_policy
from challenge_rules._digest import canonical_json
from challenge_rules.calendar import Timescale, Unit
from challenge_rules.converter import default_converter
from challenge_rules.policy import Policy
from challenge_rules.report import from_json, render_text, to_json
from challenge_rules.testing import cases, policies

if TYPE_CHECKING:
    import random

    from challenge_rules.testing import Case

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
FILES = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


def shuffled(value: Any, rng: random.Random) -> Any:
    """``value`` with every object's keys in another order (the same JSON data)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    return value


def test_a_digest_is_sha256_of_the_canonical_json() -> None:
    policy = shipped_policy("pan-cheshire")
    digest = policy_digest(policy)
    assert DIGEST.fullmatch(digest)
    text = canonical_json(policy).decode("utf-8")
    # A complete description of the rules: read back, it is the same policy.
    assert default_converter().structure(json.loads(text), Policy) == policy
    canonical = json.dumps(
        json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert text == canonical  # sorted keys, no whitespace between tokens, UTF-8 as itself
    assert chr(92) + "u2013" not in text  # the en dash as itself, not escaped


def test_fields_holding_their_defaults_are_left_out() -> None:
    # So a construct the format gains later (a field with a default) leaves the digest of
    # a policy that does not use it alone, and spelling a default out changes nothing.
    policy = shipped_policy("hips")
    text = canonical_json(policy)
    assert policy.effective_until is None
    assert not policy.applies_to_open_cases
    assert b'"effective_until"' not in text
    assert b'"applies_to_open_cases"' not in text
    assert b"null" not in text
    spelled = default_converter().unstructure(policy)
    assert spelled["effective_until"] is None  # the converter writes every field
    assert policy_digest(default_converter().structure(spelled, Policy)) == policy_digest(policy)


@FILES
@given(policy=policies(max_stages=4), rng=st.randoms(), indent=st.sampled_from([None, 1, 4]))
def test_key_order_layout_and_path_do_not_change_the_digest(
    tmp_path: Path, policy: Policy, rng: random.Random, indent: int | None
) -> None:
    document = shuffled(default_converter().unstructure(policy), rng)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    first, second = folder / "a.json", folder / "another name.json"
    first.write_text(json.dumps(document, indent=indent), encoding="utf-8")
    second.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\r\n", "utf-8")
    digests = {policy_digest(load_policy(path)) for path in (first, second)}
    assert digests == {policy_digest(policy)}


def _edits(policy: Policy) -> list[Policy]:
    """One small change to each of several rules of ``policy``."""
    first = policy.stages[0]
    longer = Timescale(Unit.WORKING_DAYS, 99)
    clause = policy.clauses[0]
    changed_clause = attrs.evolve(clause, quote=(clause.quote or "") + " (revised)")
    return [
        attrs.evolve(policy, version=policy.version + ".1"),
        attrs.evolve(policy, title=policy.title + " (revised)"),
        attrs.evolve(
            policy, stages=(attrs.evolve(first, name=first.name + "!"), *policy.stages[1:])
        ),
        attrs.evolve(
            policy,
            stages=(
                attrs.evolve(first, timescale=None if first.timescale == longer else longer),
                *policy.stages[1:],
            ),
        ),
        attrs.evolve(policy, clauses=(changed_clause, *policy.clauses[1:])),
        attrs.evolve(policy, duties=policy.duties[1:]) if policy.duties else None,
    ]


@settings(max_examples=50)
@given(policy=policies(max_stages=4))
def test_any_change_to_a_rule_changes_the_digest(policy: Policy) -> None:
    digest = policy_digest(policy)
    for edited in _edits(policy):
        if edited is None:
            continue
        assert edited != policy
        assert policy_digest(edited) != digest


@settings(max_examples=50)
@given(one=policies(max_stages=3), other=policies(max_stages=3))
def test_equal_policies_and_only_they_share_a_digest(one: Policy, other: Policy) -> None:
    assert (policy_digest(one) == policy_digest(other)) == (one == other)
    rebuilt = default_converter().structure(default_converter().unstructure(one), type(one))
    assert policy_digest(rebuilt) == policy_digest(one)


@settings(max_examples=30)
@given(case=cases())
def test_every_evaluation_records_the_digest_of_its_policy(case: Case) -> None:
    evaluation = evaluate(*case)
    assert evaluation.policy_digest == policy_digest(case.policy)
    data = to_json(evaluation)
    assert data["policy_digest"] == evaluation.policy_digest
    assert from_json(data) == evaluation


def test_the_text_report_names_the_rules() -> None:
    policy = shipped_policy("pan-cheshire")
    history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
    evaluation = evaluate(policy, history, datetime.fromisoformat("2026-06-22T09:00:00+01:00"))
    assert f"Rules: {policy_digest(policy)}" in render_text(evaluation).splitlines()


def test_evaluation_json_written_before_the_digest_and_trace_still_reads() -> None:
    policy = shipped_policy("pan-cheshire")
    history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
    data = to_json(evaluate(policy, history, datetime.fromisoformat("2026-06-22T09:00:00+01:00")))
    del data["policy_digest"]
    for entry in (*data["timeline"], *data["actions"], *data["breaches"]):
        del entry["started_by"], entry["ended_by"]
    older = from_json(data)
    assert older.policy_digest is None
    assert {r.started_by for r in older.timeline} == {None}
    assert "Rules:" not in render_text(older)
