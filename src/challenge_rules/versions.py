"""Versions of one policy in force by date, and which version judges a case.

A partnership that revises its procedure keeps each version as its own
policy file, side by side in one folder (``pan-cheshire/2024.1.json``,
``pan-cheshire/2026.1.json``): the same ``id``, each with its own
``version``, ``effective_from`` and, optionally, ``effective_until`` (the last
day it is in force, inclusive; without it a version is in force until the
next one's ``effective_from``). `load_versions` reads such a folder into a
`PolicyVersions` value and reports, each located by file and JSON pointer,
every file that is not a valid policy, another id, a version given twice, and
date ranges that overlap or leave a gap.

Which version judges a case (`PolicyVersions.for_case`):

1. the version in force on the day the concern was raised (that day in the
   version's own time zone);
2. unless a later version declares ``applies_to_open_cases: true``, has come
   into force by ``as_of``, and the case was still open at the start of its
   ``effective_from`` under the version judging it until then: that version
   takes the case over (and so on, for each later version in date order).
   Whether it was still open is judged by the events dated (``at``, not
   ``recorded_at``) up to that start only: a later event may be one only the
   new version knows (a step it adds). A case whose earlier events the
   version judging it refuses is not taken over: evaluating it under that
   version says where.

A version can be asked for by name instead (`PolicyVersions.version`, the
command line's ``--policy-version``).

>>> from attrs import evolve
>>> from datetime import date
>>> from challenge_rules import shipped_policy
>>> old = shipped_policy("hips")
>>> new = evolve(old, version="2027.1", effective_from=date(2027, 1, 1))
>>> versions = PolicyVersions.of((old, new))
>>> versions.in_force_on(date(2026, 6, 1)).version == old.version
True
>>> versions.in_force_on(date(2027, 1, 1)).version
'2027.1'
>>> versions.last_day(old)
datetime.date(2026, 12, 31)
"""

from __future__ import annotations

import itertools
import os
import types
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from attrs import evolve, field, frozen

from challenge_rules._digest import policy_digest
from challenge_rules._engine import evaluate
from challenge_rules.errors import InvalidHistory, InvalidPolicy, Problem, UnknownVersion
from challenge_rules.evaluation import Status
from challenge_rules.history import AnyEvent, CaseHistory, ConcernRaised
from challenge_rules.loading import (
    is_policy_id,
    load_policy,
    policy_from_reference,
    policy_problems,
    shipped_policies,
)
from challenge_rules.policy import Policy

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SCENARIO_SUFFIX: Final = ".scenarios.json"
"""Files in a folder of policies with this ending are scenario files, not policies."""
_DAY: Final = timedelta(days=1)


def _read_only(value: Mapping[str, str]) -> Mapping[str, str]:
    return types.MappingProxyType(dict(value))


def _by_date(policies: Iterable[Policy]) -> tuple[Policy, ...]:
    return tuple(sorted(policies, key=lambda p: (p.effective_from, p.version)))


def _start_of(day: date, policy: Policy) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(policy.calendar.time_zone))


def _local_day(moment: datetime, policy: Policy) -> date:
    return moment.astimezone(ZoneInfo(policy.calendar.time_zone)).date()


def _concern(history: CaseHistory) -> tuple[int, ConcernRaised]:
    for where, event in enumerate(history.events):
        if isinstance(event, ConcernRaised):
            return where, event
    problem = Problem(
        message="the history has no concern_raised event",
        path=("events",),
        expected="a concern_raised event: its date picks the policy version in force",
    )
    raise InvalidHistory(problems=(problem,))


def _unknown_version(policy_id: str, version: str, has: tuple[str, ...]) -> UnknownVersion:
    return UnknownVersion(
        kind=f"version of policy {policy_id}", key=version, available=has, policy_id=policy_id
    )


def _dated_after(event: AnyEvent, moment: datetime) -> bool:
    at: object = event.at  # a value built in Python may hold anything
    if not isinstance(at, datetime) or at.utcoffset() is None:
        return False  # kept: checking the history reports it, located
    return at > moment


def _open_at(policy: Policy, history: CaseHistory, moment: datetime) -> bool:
    """Whether the case was open at ``moment`` under ``policy``, by the events dated by then.

    The events dated after ``moment`` are left out before the history is
    checked, not only when it is evaluated: they may be valid only under a
    later version. A history ``policy`` refuses even so is not open (the
    caller then evaluates it under ``policy``, which says where), and nor is a
    case whose concern is dated after ``moment`` (it was not raised yet).
    """
    events = tuple(e for e in history.events if not _dated_after(e, moment))
    if not any(isinstance(e, ConcernRaised) for e in events):
        return False
    try:
        found = evaluate(policy, evolve(history, events=events), moment)
    except InvalidHistory:
        return False
    return found.status is Status.OPEN


@frozen
class PolicyVersions:
    """The versions of one policy, in the order they came into force.

    Build one with `load_versions` (a folder, every problem located) or
    `PolicyVersions.of` (values already checked, e.g. in tests).
    """

    id: str
    versions: tuple[Policy, ...] = field(converter=_by_date)
    sources: Mapping[str, str] = field(factory=dict, converter=_read_only, eq=False)
    """The file each version was read from, by version (empty when built from values)."""

    def __attrs_post_init__(self) -> None:
        found = [(p, self.sources.get(p.version)) for p in self.versions]
        problems = version_problems(found) if found else (Problem(message="no versions given"),)
        if not problems and self.versions[0].id != self.id:
            problems = (
                Problem(message=f'the versions are of "{self.versions[0].id}"', path=("id",)),
            )
        if problems:
            raise InvalidPolicy(problems=problems)

    @classmethod
    def of(cls, policies: Iterable[Policy]) -> PolicyVersions:
        """The versions of ``policies``; `InvalidPolicy` if their ids or dates clash."""
        found = tuple(policies)
        return cls(found[0].id if found else "", found)

    def version(self, version: str) -> Policy:
        """The version called ``version`` (`UnknownVersion`, listing the versions, if none is)."""
        for policy in self.versions:
            if policy.version == version:
                return policy
        raise _unknown_version(self.id, version, tuple(p.version for p in self.versions))

    def last_day(self, policy: Policy) -> date | None:
        """The last day ``policy`` is in force (``None``: for good).

        Its ``effective_until``, else the day before the next version's ``effective_from``.
        """
        if policy.effective_until is not None:
            return policy.effective_until
        later = [
            p.effective_from for p in self.versions if p.effective_from > policy.effective_from
        ]
        return min(later) - _DAY if later else None

    def in_force(self, policy: Policy, day: date) -> bool:
        """Whether ``policy``, one of these versions, is in force on ``day``."""
        last = self.last_day(policy)
        return policy.effective_from <= day and (last is None or day <= last)

    def in_force_on(self, day: date) -> Policy | None:
        """The version in force on ``day`` (``None``: none is, before the first or in a gap)."""
        return next((p for p in self.versions if self.in_force(p, day)), None)

    def in_force_at(self, moment: datetime) -> Policy | None:
        """The version in force at ``moment``, its day taken in each version's time zone."""
        return next((p for p in self.versions if self.in_force(p, _local_day(moment, p))), None)

    def for_case(self, history: CaseHistory, as_of: datetime) -> Policy:
        """The version that judges ``history`` at ``as_of`` (see the module's rule).

        Raises `InvalidHistory`, located at the concern's ``at``, if no version
        was in force when the concern was raised.
        """
        where, concern = _concern(history)
        chosen = self.in_force_at(concern.at)
        if chosen is None:
            listed = ", ".join(
                f"{p.version} from {p.effective_from.isoformat()}" for p in self.versions
            )
            problem = Problem(
                message=f"no version of policy {self.id} was in force when the concern was raised",
                path=("events", where, "at"),
                event=concern.id,
                expected=f"a date when a version is in force ({listed})",
                hint="ask for a version by name (--policy-version) to judge it by that one",
            )
            raise InvalidHistory(problems=(problem,))
        for later in self.versions:
            if later.effective_from <= chosen.effective_from or not later.applies_to_open_cases:
                continue
            start = _start_of(later.effective_from, later)
            if start > as_of:
                break
            if _open_at(chosen, history, start):
                chosen = later
        return chosen

    def as_dict(self) -> dict[str, Any]:
        """What ``challenge-rules versions --format json`` prints."""
        return {
            "id": self.id,
            "versions": [
                {
                    "version": p.version,
                    "effective_from": p.effective_from.isoformat(),
                    "effective_until": p.effective_until.isoformat() if p.effective_until else None,
                    "last_day": last.isoformat() if (last := self.last_day(p)) else None,
                    "applies_to_open_cases": p.applies_to_open_cases,
                    "digest": policy_digest(p),
                    "source": self.sources.get(p.version),
                }
                for p in self.versions
            ],
        }

    def __str__(self) -> str:
        count = len(self.versions)
        lines = [f"{self.id}: {count} version{'s' if count != 1 else ''}"]
        for policy in self.versions:
            last = self.last_day(policy)
            until = f"to {last.isoformat()}" if last else "onwards"
            takes = ", takes over open cases" if policy.applies_to_open_cases else ""
            source = self.sources.get(policy.version)
            lines.append(
                f"  {policy.version}: {policy.effective_from.isoformat()} {until}{takes}"
                + (f" ({source})" if source else "")
            )
            lines.append(f"    rules: {policy_digest(policy)}")
        return "\n".join(lines)


def version_problems(found: Sequence[tuple[Policy, str | None]]) -> tuple[Problem, ...]:
    """What stops ``found`` (each policy with its file) being the versions of one policy.

    Another id than the first's, a version given twice, and date ranges that
    overlap or leave a gap, each located by file and JSON pointer.
    """
    problems: list[Problem] = []
    if not found:
        return ()
    first, first_source = found[0]
    seen: dict[str, str | None] = {}
    for policy, source in found:
        if policy.id != first.id:
            problems.append(
                Problem(
                    message=f'policy id "{policy.id}" is not "{first.id}"',
                    path=("id",),
                    source=source,
                    expected=f'"{first.id}" (the id of {first_source or "the first version"})',
                    hint="one folder holds the versions of one policy",
                )
            )
        if policy.version in seen:
            other = seen[policy.version] or "another version"
            problems.append(
                Problem(
                    message=f'version "{policy.version}" is given twice',
                    path=("version",),
                    source=source,
                    expected="a different version for each file",
                    hint=f"the other is {other}",
                )
            )
        else:
            seen[policy.version] = source
    ordered = sorted(found, key=lambda pair: (pair[0].effective_from, pair[0].version))
    for (before, before_source), (after, after_source) in itertools.pairwise(ordered):
        if before.version == after.version:
            continue
        until = before.effective_until
        if after.effective_from == before.effective_from or (
            until is not None and until >= after.effective_from
        ):
            last = (until or before.effective_from).isoformat()
            problems.append(
                Problem(
                    message=(
                        f"version {before.version} ({before.effective_from.isoformat()} to "
                        f"{last}) overlaps version {after.version} (from "
                        f"{after.effective_from.isoformat()})"
                    ),
                    path=("effective_until",) if until is not None else ("effective_from",),
                    source=before_source,
                    expected=f"a last day before {after.effective_from.isoformat()}",
                    hint=f"version {after.version} is in {after_source or 'another file'}",
                )
            )
        elif until is not None and after.effective_from > until + _DAY:
            problems.append(
                Problem(
                    message=(
                        f"no version is in force from {(until + _DAY).isoformat()} to "
                        f"{(after.effective_from - _DAY).isoformat()}: version "
                        f"{before.version} ends on {until.isoformat()}"
                    ),
                    path=("effective_from",),
                    source=after_source,
                    expected=f"effective_from {(until + _DAY).isoformat()}, the day after",
                    hint=f"or a later effective_until in {before_source or 'the earlier version'}",
                )
            )
    return tuple(problems)


def policy_files(folder: Path) -> list[Path]:
    """The policy files in ``folder``, sorted: every ``*.json`` but scenario files.

    The one rule for a folder of versions and a service's ``--policies`` folder.
    """
    return sorted(p for p in folder.glob("*.json") if not p.name.endswith(SCENARIO_SUFFIX))


def _no_files(folder: str | os.PathLike[str]) -> Problem | None:
    path = Path(folder)
    if path.is_dir() and policy_files(path):
        return None
    return Problem(
        message="the folder holds no policy files" if path.is_dir() else "no such folder",
        expected="a folder with one policy .json file per version",
        source=os.fspath(folder),
    )


def versions_problems(folder: str | os.PathLike[str]) -> tuple[Problem, ...]:
    """Every problem of a folder of versions, warnings included, each located by file.

    What `load_versions` would refuse, and each file's warnings, as
    `challenge_rules.loading.policy_problems` gives them for one file.
    """
    missing = _no_files(folder)
    if missing is not None:
        return (missing,)
    problems: list[Problem] = []
    loaded: list[tuple[Policy, str | None]] = []
    for file in policy_files(Path(folder)):
        found = [p.with_source(str(file)) for p in policy_problems(file)]
        problems += found
        if not any(p.severity == "error" for p in found):
            loaded.append((load_policy(file), str(file)))
    return (*problems, *version_problems(loaded))


def load_versions(folder: str | os.PathLike[str]) -> PolicyVersions:
    """The versions of one policy from a folder of its files.

    Every ``*.json`` file is a version, except scenario files (``*.scenarios.json``).

    Raises `InvalidPolicy` with every problem: each invalid file's own, then
    the clashes between files (see `version_problems`).
    """
    missing = _no_files(folder)
    if missing is not None:
        raise InvalidPolicy(problems=(missing,), source=os.fspath(folder))
    problems: list[Problem] = []
    loaded: list[tuple[Policy, str | None]] = []
    for file in policy_files(Path(folder)):
        try:
            loaded.append((load_policy(file), str(file)))
        except InvalidPolicy as error:
            problems += [p.with_source(p.source or str(file)) for p in error.problems]
    problems += version_problems(loaded)
    if problems:
        raise InvalidPolicy(problems=tuple(problems), source=os.fspath(folder))
    policies = [policy for policy, _ in loaded]
    sources = {policy.version: source for policy, source in loaded if source is not None}
    return PolicyVersions(policies[0].id, tuple(policies), sources)


def is_versions_folder(reference: str | os.PathLike[str]) -> bool:
    """Whether a ``--policy`` reference names a folder of versions (not an id or a file).

    A path names one if it is a folder. A text that is a policy id
    (`challenge_rules.loading.is_policy_id`) is the shipped policy of that id
    if there is one, whatever folders exist; only if none is shipped is it
    the folder of that name, when there is one (``our-policy`` as well as
    ``./our-policy``).
    """
    if isinstance(reference, str) and is_policy_id(reference) and reference in shipped_policies():
        return False
    return Path(reference).is_dir()


def policy_or_versions(reference: str | os.PathLike[str]) -> Policy | PolicyVersions:
    """What a ``--policy`` reference names: a folder's versions, a file's or shipped policy."""
    if is_versions_folder(reference):
        return load_versions(reference)
    return policy_from_reference(reference)


def choose(
    given: Policy | PolicyVersions,
    history: CaseHistory,
    as_of: datetime,
    version: str | None = None,
) -> Policy:
    """The policy to judge ``history`` by: ``version`` if asked for, else as `for_case`.

    A single policy is itself (`UnknownVersion` if ``version`` names another).
    """
    if version is not None or isinstance(given, Policy):
        return named_version(given, version)
    return given.for_case(history, as_of)


def named_version(given: Policy | PolicyVersions, version: str | None) -> Policy:
    """The version ``version`` names (`UnknownVersion`, listing the versions, if none is).

    A single policy is itself when ``version`` is ``None`` or its own version;
    several versions with ``version`` ``None`` are an `InvalidPolicy`.
    """
    if isinstance(given, PolicyVersions):
        if version is None:
            listed = ", ".join(p.version for p in given.versions)
            problem = Problem(
                message=f"the folder holds {len(given.versions)} versions of {given.id}: "
                "which one is not said",
                expected=f"a version asked for, one of: {listed}",
                hint="--policy-version VERSION on the command line",
            )
            raise InvalidPolicy(problems=(problem,), source=given.id)
        return given.version(version)
    if version is not None and version != given.version:
        raise _unknown_version(given.id, version, (given.version,))
    return given


__all__ = [
    "SCENARIO_SUFFIX",
    "PolicyVersions",
    "choose",
    "is_versions_folder",
    "load_versions",
    "named_version",
    "policy_digest",
    "policy_files",
    "policy_or_versions",
    "version_problems",
    "versions_problems",
]
