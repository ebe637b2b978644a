"""Policy scenarios: a policy author's tests, as data.

A scenario file names a policy and lists scenarios, each a short case
history, a moment to evaluate at, and what the author expects: the status,
the stage, the actions and the breaches.  `run_file` evaluates each scenario
and compares, field by field, giving a readable difference for each mismatch.
``challenge-rules test FILE...`` is the command-line face of this module; the
format is described in ``docs/scenarios.md`` and ``schemas/scenarios.schema.json``.

Expectations compare only what they name.  ``actions`` and ``breaches`` list
*every* action or breach expected (anything else is a failure);
``actions_include`` and ``breaches_include`` list some that must be there; and
``absent_actions`` lists action ids that must not be.
"""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

from challenge_rules._engine import evaluate
from challenge_rules._matching import due_matches, mentions, parse_due
from challenge_rules._vocabulary import vocabulary
from challenge_rules.errors import (
    ChallengeRulesError,
    DocumentPath,
    InvalidInput,
    InvalidScenario,
    Problem,
)
from challenge_rules.evaluation import Evaluation
from challenge_rules.loading import (
    is_policy_id,
    load_history,
    load_policy,
    policy_from_reference,
)
from challenge_rules.reading import read_json
from challenge_rules.schemas import validate_document

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping, Sequence

    from challenge_rules.calendar import Deadline
    from challenge_rules.evaluation import Action, Addressee, Breach
    from challenge_rules.policy import Policy


@frozen
class Outcome:
    """One scenario's result: the differences found (none means it passed)."""

    name: str
    index: int
    clauses: tuple[str, ...]
    differences: tuple[str, ...]
    evaluation: Evaluation | None = None

    @property
    def passed(self) -> bool:
        """Whether the evaluation met every expectation."""
        return not self.differences


@frozen
class FileOutcome:
    """A scenario file's results."""

    path: str
    policy: str
    outcomes: tuple[Outcome, ...]
    uncovered: tuple[str, ...] = ()
    """The policy's rule clauses that no scenario names (see `uncovered_clauses`)."""

    @property
    def passed(self) -> bool:
        """Whether every scenario in the file passed."""
        return all(o.passed for o in self.outcomes)


def _due_text(due: Deadline | None) -> str:
    if due is None:
        return "none"
    return due.day.isoformat() if due.day is not None else due.at.isoformat()


def _due_matches(expected: object, due: Deadline | None) -> bool:
    if expected is None:
        return due is None
    if not isinstance(expected, str):
        return False
    try:
        wanted = parse_due(expected)
    except ValueError:
        return False  # the scenario schema's pattern lets no such text through
    return due_matches(wanted, due)


def _who_text(who: Iterable[Addressee]) -> list[str]:
    return [f"{a.role}@{a.side.value}" for a in who]


def _who_matches(expected: Sequence[str], who: Iterable[Addressee]) -> bool:
    actual = _who_text(who)
    # "role" alone matches that role on any side; "role@side" matches exactly.
    wanted = [e if "@" in e else None for e in expected]
    plain = sorted(e for e in expected if "@" not in e)
    exact = sorted(e for e in wanted if e is not None)
    actual_exact = sorted(a for a in actual if a in exact)
    leftover = sorted(a.split("@")[0] for a in actual if a not in exact)
    return actual_exact == exact and leftover == plain


def _plain(value: object) -> object:
    """An enum member as its value (as a scenario file writes it)."""
    return value.value if isinstance(value, enum.Enum) else value


def _compare_action(prefix: str, expected: Mapping[str, Any], action: Action) -> list[str]:
    out: list[str] = []
    if "due" in expected and not _due_matches(expected["due"], action.due):
        out.append(f"{prefix}: due: expected {expected['due']}, got {_due_text(action.due)}")
    if "who" in expected and not _who_matches(expected["who"], action.who):
        out.append(f"{prefix}: who: expected {expected['who']}, got {_who_text(action.who)}")
    out.extend(
        f"{prefix}: {name}: expected {expected[name]!r}, got {_plain(getattr(action, name))!r}"
        for name in ("urgent", "kind", "stage", "severity", "due_soon")
        if name in expected and expected[name] != getattr(action, name)
    )
    if "what" in expected and not mentions(action.what, expected["what"]):
        out.append(f"{prefix}: what: expected to mention {expected['what']!r}, got {action.what!r}")
    return out


def _compare_breach(prefix: str, expected: Mapping[str, Any], breach: Breach) -> list[str]:
    out: list[str] = []
    if "due" in expected and not _due_matches(expected["due"], breach.due):
        out.append(f"{prefix}: due: expected {expected['due']}, got {_due_text(breach.due)}")
    late = expected.get("late_working_days")
    if late is not None and late != breach.late.working_days:
        out.append(f"{prefix}: late_working_days: expected {late}, got {breach.late.working_days}")
    if "severity" in expected and expected["severity"] != breach.severity:
        got = str(breach.severity)
        out.append(f"{prefix}: severity: expected {expected['severity']!r}, got {got!r}")
    if "done" in expected and expected["done"] != (breach.done_at is not None):
        got = "done" if breach.done_at is not None else "still outstanding"
        want = "done" if expected["done"] else "still outstanding"
        out.append(f"{prefix}: expected {want}, got {got}")
    return out


def _compare_set(
    noun: str,
    expected: Sequence[Mapping[str, Any]],
    actual: Mapping[str, Any],
    *,
    exact: bool,
) -> list[str]:
    out: list[str] = []
    compare = _compare_action if noun == "action" else _compare_breach
    for item in expected:
        found = actual.get(item["id"])
        if found is None:
            out.append(f"missing {noun}: {item['id']} (got: {', '.join(actual) or 'none'})")
        else:
            out.extend(compare(f"{noun} {item['id']}", item, found))
    if exact:
        wanted = {item["id"] for item in expected}
        out.extend(
            f"unexpected {noun}: {key} ({getattr(value, 'what', '')})"
            for key, value in actual.items()
            if key not in wanted
        )
    return out


def _compare_next_change(expect: Mapping[str, Any], evaluation: Evaluation) -> list[str]:
    """The difference in when the evaluation next changes, compared as instants."""
    if "next_change_at" not in expect:
        return []
    wanted = expect["next_change_at"]
    got = evaluation.next_change_at
    if (None if wanted is None else datetime.fromisoformat(wanted)) == got:
        return []
    return [f"next_change_at: expected {wanted}, got {None if got is None else got.isoformat()}"]


def compare(expect: Mapping[str, Any], evaluation: Evaluation) -> tuple[str, ...]:
    """The differences between ``expect`` and ``evaluation`` (empty: they agree)."""
    out: list[str] = []
    for name in ("status", "stage"):
        if name in expect and expect[name] != getattr(evaluation, name):
            got = getattr(evaluation, name)
            out.append(f"{name}: expected {expect[name]!r}, got {got!r}")
    if "urgent" in expect and expect["urgent"] != evaluation.urgent:
        out.append(f"urgent: expected {expect['urgent']}, got {evaluation.urgent}")
    out.extend(_compare_next_change(expect, evaluation))
    actions = {a.id: a for a in evaluation.actions}
    breaches = {b.id: b for b in evaluation.breaches}
    if "actions" in expect:
        out += _compare_set("action", expect["actions"], actions, exact=True)
    if "actions_include" in expect:
        out += _compare_set("action", expect["actions_include"], actions, exact=False)
    out.extend(
        f"action {key} should not be required, but is ({actions[key].what})"
        for key in expect.get("absent_actions", ())
        if key in actions
    )
    if "breaches" in expect:
        out += _compare_set("breach", expect["breaches"], breaches, exact=True)
    if "breaches_include" in expect:
        out += _compare_set("breach", expect["breaches_include"], breaches, exact=False)
    if "warnings" in expect:
        got_codes = sorted(w.code for w in evaluation.warnings)
        if sorted(expect["warnings"]) != got_codes:
            out.append(f"warnings: expected {sorted(expect['warnings'])}, got {got_codes}")
    return tuple(out)


def _relocate(problems: Iterable[Problem], prefix: DocumentPath, source: str) -> list[Problem]:
    return [evolve(p.under(*prefix), source=source) for p in problems]


def _policy_for(document: Mapping[str, Any], path: Path | None, source: str) -> Policy:
    reference = document["policy"]
    if path is not None and not is_policy_id(reference):
        resolved = path.parent / reference  # a path: relative to the scenario file
        if not resolved.is_file():
            problem = Problem(
                message=f"no policy file at {str(resolved)!r}",
                path=("policy",),
                expected="a shipped policy id, or the path of a policy file relative to "
                "this scenario file",
                hint="check the spelling, and that the path is relative to the scenario file",
            )
            raise InvalidScenario(problems=(problem,), source=source)
    try:
        if is_policy_id(reference) or path is None:
            return policy_from_reference(reference)
        return load_policy(path.parent / reference)
    except InvalidInput as error:
        raise InvalidScenario(
            problems=_relocate(error.problems, (), error.source or str(reference)),
            source=source,
        ) from None


def run_document(
    document: object, *, path: Path | None = None, source: str = "<scenarios>"
) -> FileOutcome:
    """Run the scenarios of an already-parsed scenario document."""
    problems = validate_document(document, "scenarios", source=source)
    if problems:
        raise InvalidScenario(problems=problems, source=source)
    assert isinstance(document, dict)  # noqa: S101 - the schema guarantees it
    policy = _policy_for(document, path, source)
    outcomes: list[Outcome] = []
    errors: list[Problem] = []
    for index, scenario in enumerate(document["scenarios"]):
        name = scenario["name"]
        try:
            history = load_history(
                {"reference": f"scenario-{index + 1}", "events": scenario["events"]}
            )
            as_of = datetime.fromisoformat(scenario["as_of"])
            evaluation = evaluate(policy, history, as_of)
        except InvalidInput as error:
            errors += _relocate(error.problems, ("scenarios", index), source)
            continue
        except ChallengeRulesError as error:
            errors.append(
                Problem(message=str(error), path=("scenarios", index, "as_of"), source=source)
            )
            continue
        outcomes.append(
            Outcome(
                name=name,
                index=index,
                clauses=tuple(scenario.get("clauses", ())),
                differences=compare(scenario["expect"], evaluation),
                evaluation=evaluation,
            )
        )
    if errors:
        raise InvalidScenario(problems=errors, source=source)
    return FileOutcome(
        path=source,
        policy=policy.id,
        outcomes=tuple(outcomes),
        uncovered=uncovered_clauses(policy, outcomes),
    )


def run_file(path: str | os.PathLike[str]) -> FileOutcome:
    """Run every scenario in the file at ``path``."""
    path = Path(path)
    return run_document(read_json(path), path=path, source=str(path))


def uncovered_clauses(policy: Policy, outcomes: Iterable[Outcome]) -> tuple[str, ...]:
    """Clauses that set a step, timescale, fallback, urgency rule or duty, with no scenario."""
    covered = {c for o in outcomes for c in o.clauses}
    return tuple(c for c in rule_clauses(policy) if c not in covered)


def rule_clauses(policy: Policy) -> tuple[str, ...]:
    """The clauses of ``policy`` that set a step, timescale, fallback, urgency rule or duty.

    Each once, in the order the policy document names them.  These are the
    clause references the policy model marks as the authority for a rule.
    """
    return vocabulary(policy).rule_clauses()


def render_outcome(result: FileOutcome) -> str:
    """A readable report of a file's results: one line per pass, a diff per failure."""
    lines: list[str] = []
    for outcome in result.outcomes:
        label = f'scenario {outcome.index + 1} "{outcome.name}"'
        if outcome.passed:
            lines.append(f"PASS {result.path}: {label}")
            continue
        cited = f" (clauses: {', '.join(outcome.clauses)})" if outcome.clauses else ""
        lines.append(f"FAIL {result.path}: {label}{cited}")
        lines += [f"  - {difference}" for difference in outcome.differences]
    return "\n".join(lines)


__all__ = [
    "FileOutcome",
    "Outcome",
    "compare",
    "render_outcome",
    "rule_clauses",
    "run_document",
    "run_file",
    "uncovered_clauses",
]
