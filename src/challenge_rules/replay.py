"""What a new version of a policy would change for the cases open today.

`replay` evaluates each case history under the old policy and under the new
one at the same moment and says, case by case, what differs: the status, the
stage, whether an urgency rule is in force, each required action (added,
dropped, or due at another time, of other people, for other reasons) and each
breach (new, gone, or later or less late).  Actions and breaches are matched
by their stable ids (``stage:step-1``, ``duty:record@step-1``), so the same
action due on another day is one change, not an action removed and another
added.

Cases are read and replayed one at a time (`read_cases` yields them lazily),
so a caseload of any size streams; a case that cannot be read or evaluated is
a `CaseFailure` with its located problems, and the others still run.

>>> from datetime import datetime
>>> from challenge_rules import load_history, shipped_policy
>>> hips = shipped_policy("hips")
>>> case = load_history({"reference": "c-1", "events": [{"kind": "concern_raised", "id": "e1",
...     "at": "2026-03-09T10:00:00+00:00", "raising": {"role": "practitioner", "agency": "School"},
...     "receiving": {"role": "practitioner", "agency": "Health"}, "area": "hampshire"}]})
>>> [result] = replay([("c-1", case)], hips, hips, datetime.fromisoformat("2026-03-10T12:00+00:00"))
>>> result.changed
False
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from attrs import field, frozen

from challenge_rules._engine import evaluate
from challenge_rules.errors import (
    ChallengeRulesError,
    InvalidCaseload,
    InvalidInput,
    InvalidJSON,
    Problem,
)
from challenge_rules.evaluation import Evaluation
from challenge_rules.loading import load_history, load_history_line
from challenge_rules.reading import read_lines
from challenge_rules.versions import PolicyVersions, choose

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from datetime import datetime

    from challenge_rules.calendar import Deadline, Lateness
    from challenge_rules.evaluation import Action, Breach
    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy

Aspect = Literal["status", "stage", "urgent", "action", "breach"]
ASPECTS: Final[tuple[Aspect, ...]] = ("status", "stage", "urgent", "action", "breach")
DifferenceKind = Literal["added", "removed", "changed"]


@frozen
class Difference:
    """One thing a case would see differently under the new policy."""

    aspect: Aspect
    kind: DifferenceKind
    what: str
    """In plain words."""
    id: str | None = None
    """The action's or breach's id (``None`` for status, stage and urgency)."""

    def __str__(self) -> str:
        return self.what

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready data."""
        return {"aspect": self.aspect, "kind": self.kind, "id": self.id, "what": self.what}


@frozen
class CaseReplay:
    """One case, evaluated under both policies."""

    source: str
    """Where the case was read (a file, or ``file:line`` in JSON Lines)."""
    reference: str
    old: Evaluation
    new: Evaluation
    differences: tuple[Difference, ...]

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return bool(self.differences)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (no personal data: the reference is the case system's opaque one)."""
        return {
            "source": self.source,
            "reference": self.reference,
            "changed": self.changed,
            "policy": {
                "old": {"version": self.old.policy_version, "digest": self.old.policy_digest},
                "new": {"version": self.new.policy_version, "digest": self.new.policy_digest},
            },
            "status": {"old": self.old.status.value, "new": self.new.status.value},
            "stage": {"old": self.old.stage, "new": self.new.stage},
            "differences": [d.as_dict() for d in self.differences],
        }


@frozen
class CaseFailure:
    """A case that could not be read, or evaluated under one of the policies."""

    source: str
    problems: tuple[Problem, ...]
    policy: str | None = None
    """The policy (``id version``) it could not be evaluated under, if it was read."""

    def __str__(self) -> str:
        under = f" under {self.policy}" if self.policy else ""
        lines = [f"{self.source}: could not replay the case{under}"]
        lines.extend(f"  {p.with_source(self.source)}" for p in self.problems)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "source": self.source,
            "error": {
                "policy": self.policy,
                "problems": [p.with_source(self.source).as_dict() for p in self.problems],
            },
        }


@frozen
class ReplayCounts:
    """How many cases would change, and in what."""

    cases: int = 0
    changed: int = 0
    failed: int = 0
    by_aspect: tuple[tuple[Aspect, int], ...] = field(
        factory=lambda: tuple((aspect, 0) for aspect in ASPECTS)
    )
    """For each aspect, how many cases it changes in."""

    @property
    def unchanged(self) -> int:
        """Cases replayed with no difference."""
        return self.cases - self.changed - self.failed

    def add(self, result: CaseReplay | CaseFailure) -> ReplayCounts:
        """These counts with one more case."""
        if isinstance(result, CaseFailure):
            return ReplayCounts(self.cases + 1, self.changed, self.failed + 1, self.by_aspect)
        seen = {d.aspect for d in result.differences}
        return ReplayCounts(
            self.cases + 1,
            self.changed + result.changed,
            self.failed,
            tuple((aspect, n + (aspect in seen)) for aspect, n in self.by_aspect),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "cases": self.cases,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "by_aspect": dict(self.by_aspect),
        }

    def __str__(self) -> str:
        aspects = ", ".join(f"{aspect}: {n}" for aspect, n in self.by_aspect)
        return (
            f"{self.cases} case{'s' if self.cases != 1 else ''}: {self.changed} would change, "
            f"{self.unchanged} unchanged, {self.failed} could not be replayed "
            f"(cases changed in {aspects})"
        )


# --- comparing two evaluations -----------------------------------------------------


def _due(due: Deadline | None) -> str:
    return "no due date" if due is None else str(due)


def _late(late: Lateness) -> str:
    days = late.working_days
    return f"{days} working day{'s' if days != 1 else ''} late"


def _who(action: Action | Breach) -> str:
    return "; ".join(str(a) for a in action.who) or "no one named"


def _action_changes(old: Action, new: Action) -> list[str]:
    said = []
    if old.due != new.due:
        said.append(f"due {_due(old.due)} before, {_due(new.due)} now")
    if old.who != new.who:
        said.append(f"who: {_who(old)} before, {_who(new)} now")
    if old.what != new.what:
        said.append(f'now worded "{new.what}"')
    if old.urgent != new.urgent:
        said.append("now urgent" if new.urgent else "no longer urgent")
    if old.why != new.why:
        said.append(f"cites clause {old.why.clause} before, {new.why.clause} now")
    if old.contacts != new.contacts or old.forms != new.forms:
        said.append("contacts or forms differ")
    return said


def _breach_changes(old: Breach, new: Breach) -> list[str]:
    said = []
    if old.due != new.due:
        said.append(f"was due {_due(old.due)} before, {_due(new.due)} now")
    if old.late.working_days != new.late.working_days:
        said.append(f"{_late(old.late)} before, {_late(new.late)} now")
    if old.who != new.who:
        said.append(f"who: {_who(old)} before, {_who(new)} now")
    return said


def _by_id(items: Iterable[Action | Breach]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _keyed(
    aspect: Aspect,
    old: Iterable[Action | Breach],
    new: Iterable[Action | Breach],
    said: Callable[[Any, Any], list[str]],
    words: tuple[Callable[[Any], str], Callable[[Any], str]],
) -> list[Difference]:
    """Actions (or breaches) matched by id: dropped, changed, then added."""
    gone_words, new_words = words
    before, after = _by_id(old), _by_id(new)
    out = []
    for key, item in before.items():
        if key not in after:
            out.append(Difference(aspect, "removed", gone_words(item), id=key))
        elif changes := said(item, after[key]):
            out.append(Difference(aspect, "changed", f"{key}: " + "; ".join(changes), id=key))
    out.extend(
        Difference(aspect, "added", new_words(item), id=key)
        for key, item in after.items()
        if key not in before
    )
    return out


def _case_changes(old: Evaluation, new: Evaluation) -> list[Difference]:
    out = []
    if old.status != new.status:
        text = f"status: {old.status.value} -> {new.status.value}"
        out.append(Difference("status", "changed", text))
    if old.stage != new.stage:
        out.append(Difference("stage", "changed", f"stage: {old.stage} -> {new.stage}"))
    if old.urgent != new.urgent:
        now = "an urgency rule is now in force" if new.urgent else "no urgency rule is in force now"
        out.append(Difference("urgent", "changed", now))
    return out


def compare(old: Evaluation, new: Evaluation) -> tuple[Difference, ...]:
    """What ``new`` says differently from ``old`` (two evaluations of one case)."""
    actions = _keyed(
        "action",
        old.actions,
        new.actions,
        _action_changes,
        (
            lambda a: f"no longer required: {a.what}",
            lambda a: f"now required: {a.what} (due {_due(a.due)})",
        ),
    )
    breaches = _keyed(
        "breach",
        old.breaches,
        new.breaches,
        _breach_changes,
        (
            lambda b: f"no longer late: {b.what}",
            lambda b: f"now late: {b.what} (was due {_due(b.due)}; {_late(b.late)})",
        ),
    )
    return (*_case_changes(old, new), *actions, *breaches)


# --- reading and replaying cases ---------------------------------------------------------

CaseSource = tuple[str, "CaseHistory | InvalidInput"]
"""A case as `read_cases` yields it: where it was read, and the history or why it is not one."""


def _lines(name: str | Path) -> Iterator[CaseSource]:
    for line in read_lines(name):
        if line.blank:
            continue
        try:
            yield line.source, load_history_line(line)
        except InvalidInput as error:
            yield line.source, error


def read_cases(path: str | Path) -> Iterator[CaseSource]:
    """Each case of a JSON Lines file (``-``: standard input) or a folder of history files.

    In a folder, every ``*.json`` file is one case history, in name order.
    Nothing is read before it is asked for. A case that cannot be read is
    yielded with the `InvalidInput` that says why; a source that cannot be
    read at all (a missing file, a folder with no history files, an unreadable
    file) raises `InvalidCaseload`, so it is never counted as a case.
    """
    folder = Path(path)
    if str(path) != "-" and folder.is_dir():
        files = sorted(folder.glob("*.json"))
        if not files:
            problem = Problem(
                message="the folder holds no history files",
                expected="a folder of case history .json files, or a JSON Lines file",
            )
            raise InvalidCaseload(problems=(problem,), source=str(path))
        for file in files:
            try:
                yield str(file), load_history(file)
            except InvalidInput as error:
                yield str(file), error
        return
    try:
        yield from _lines(path)
    except InvalidJSON as error:
        raise InvalidCaseload(problems=error.problems, source=error.source) from None


def _problems(error: ChallengeRulesError) -> tuple[Problem, ...]:
    if isinstance(error, InvalidInput):
        return error.problems
    return (Problem(message=str(error)),)


def replay_one(
    source: str, history: CaseHistory, old: Policy, new: Policy, as_of: datetime
) -> CaseReplay | CaseFailure:
    """One case under both policies."""
    evaluations = []
    for policy in (old, new):
        try:
            evaluations.append(evaluate(policy, history, as_of))
        except ChallengeRulesError as error:
            return CaseFailure(source, _problems(error), policy=f"{policy.id} {policy.version}")
    before, after = evaluations
    return CaseReplay(source, history.reference, before, after, compare(before, after))


def replay(  # noqa: PLR0913 - the two policies, each with its version
    cases: Iterable[CaseSource | tuple[str, CaseHistory]],
    old: Policy | PolicyVersions,
    new: Policy | PolicyVersions,
    as_of: datetime,
    *,
    old_version: str | None = None,
    new_version: str | None = None,
) -> Iterator[CaseReplay | CaseFailure]:
    """Each case under ``old`` and ``new`` at ``as_of``, one at a time, in order.

    ``cases`` are pairs of where a case was read and its history (or the
    `InvalidInput` that says why it could not be read), as `read_cases` yields.
    Either policy may be a `PolicyVersions`: each case is then judged by the
    version ``old_version`` (or ``new_version``) names, or else by the version
    in force for it (`challenge_rules.versions.PolicyVersions.for_case`).
    """
    for source, history in cases:
        if isinstance(history, InvalidInput):
            yield CaseFailure(source, history.problems)
            continue
        try:
            before = choose(old, history, as_of, old_version)
            after = choose(new, history, as_of, new_version)
        except ChallengeRulesError as error:
            yield CaseFailure(source, _problems(error))
            continue
        yield replay_one(source, history, before, after, as_of)


def render_case(result: CaseReplay | CaseFailure) -> str:
    """One case for people: nothing for an unchanged case."""
    if isinstance(result, CaseFailure):
        return str(result) + "\n"
    if not result.changed:
        return ""
    count = len(result.differences)
    lines = [f"{result.reference} ({result.source}): {count} change{'s' if count != 1 else ''}"]
    lines.extend(f"  {d.aspect}: {d}" for d in result.differences)
    return "\n".join(lines) + "\n"


def to_json_line(
    result: CaseReplay | CaseFailure | ReplayCounts, *, as_of: datetime | None = None
) -> str:
    """One line of ``challenge-rules replay --format json``.

    The summary line (of `ReplayCounts`) names ``as_of`` first when it is given,
    so a run at "now" says which moment that was.
    """
    data: Mapping[str, Any]
    if isinstance(result, ReplayCounts):
        moment = {"as_of": as_of.isoformat()} if as_of is not None else {}
        data = {"summary": {**moment, **result.as_dict()}}
    else:
        data = result.as_dict()
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


__all__ = [
    "ASPECTS",
    "Aspect",
    "CaseFailure",
    "CaseReplay",
    "CaseSource",
    "Difference",
    "DifferenceKind",
    "ReplayCounts",
    "compare",
    "read_cases",
    "render_case",
    "replay",
    "replay_one",
    "to_json_line",
]
