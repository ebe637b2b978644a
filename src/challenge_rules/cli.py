"""The ``challenge-rules`` command.

Each subcommand is one pair of functions: ``_add_NAME(subparsers)`` declares
its arguments and sets ``handler`` to ``_run_NAME(args) -> int``, which does
the work and returns the exit status. To add a subcommand, write the pair and
list ``_add_NAME`` in `_SUBCOMMANDS`.

Exit statuses: 0 success, 1 invalid input (or a failed check, or a file that
cannot be read or written), 2 a usage error, 141 the reader of the output
went away (``| head -1``), 70 an internal error (a bug: please report it);
``diff`` alone follows diff(1): 1 means the policies differ, 2 that one could
not be loaded. No subcommand ever prints a traceback, or the contents of the
documents it reads.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from challenge_rules._convert import MOMENT_RANGE, in_moment_range
from challenge_rules._engine import evaluate, evaluate_many
from challenge_rules._text import suggest
from challenge_rules.errors import (
    ChallengeRulesError,
    InvalidEvaluations,
    InvalidHistory,
    InvalidInput,
    InvalidJSON,
    InvalidJSONLine,
    MissingExtra,
    Problem,
    UnknownPolicy,
)
from challenge_rules.history import CaseHistory, Nature
from challenge_rules.loading import (
    history_problems,
    load_history,
    load_history_line,
    policy_from_reference,
    reference_problems,
    shipped_policies,
    shipped_policy,
)
from challenge_rules.policy import Policy
from challenge_rules.reading import Line, parse_json, read_json, read_lines
from challenge_rules.report import render_text, to_json

# challenge_rules.versions (a folder of a policy's versions) is imported by the functions that
# use it, and the outputs by the commands that write them: evaluating a case loads neither.

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from challenge_rules import caseload
    from challenge_rules.evaluation import Evaluation
    from challenge_rules.table import Row
    from challenge_rules.versions import PolicyVersions

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERNAL: Final = 70
EXIT_BROKEN_PIPE: Final = 141
"""128 + SIGPIPE: the status of a tool a closed pipe stops (e.g. ``| head -1``)."""
_ISSUES: Final = "https://github.com/challenge-rules/challenge-rules/issues"

Subparsers = argparse._SubParsersAction  # noqa: SLF001 - argparse names no public type for it


# --- validate ------------------------------------------------------------------


def _add_validate(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check policy files (or case histories) and report every problem",
        description=(
            "Check policy files against the policy JSON Schema and the rules a schema "
            "cannot express, and report every problem of every file, each located by "
            "a JSON pointer. Warnings do not make a file invalid. Exit status: 0 if "
            "every file is valid, 1 if any is not."
        ),
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="a policy JSON file, or the id of a shipped policy",
    )
    parser.add_argument(
        "--kind",
        choices=("policy", "history"),
        default="policy",
        help="what the files are: policies (the default) or case histories",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (one problem a line, the default) or json",
    )
    parser.add_argument(
        "--gaps",
        action="store_true",
        help="also count each valid policy's gaps by kind (source silent, format cannot say)",
    )
    parser.set_defaults(handler=_run_validate)


def _check_file(name: str, kind: str) -> tuple[Problem, ...]:
    """Every problem of one file, warnings included; a missing file is a problem too."""
    from challenge_rules.versions import is_versions_folder, versions_problems  # noqa: PLC0415

    if kind == "history":
        return history_problems(name)
    if is_versions_folder(name):
        return versions_problems(name)
    try:
        return reference_problems(name)
    except UnknownPolicy as error:
        known = ", ".join(error.available) or "none"
        return (
            Problem(
                message=f'no file, folder or shipped policy is called "{name}"',
                expected=(
                    "the path of a JSON file or a folder of versions, or a shipped policy id "
                    f"({known})"
                ),
                hint=suggest(name, error.available) or "a file name needs its .json ending",
                source=name,
            ),
        )


def _run_validate(args: argparse.Namespace) -> int:
    from challenge_rules.versions import is_versions_folder  # noqa: PLC0415 - see the imports

    out: TextIO = sys.stdout
    results: list[tuple[str, tuple[Problem, ...]]] = []
    for name in args.files:
        problems = tuple(p.with_source(name) for p in _check_file(name, args.kind))
        results.append((name, problems))
    invalid = [n for n, ps in results if any(p.severity == "error" for p in ps)]
    gaps = {
        name: policy_from_reference(name).gap_counts()
        for name, _ in results
        if args.gaps
        and args.kind == "policy"
        and name not in invalid
        and not is_versions_folder(name)
    }
    if args.format == "json":
        files = [
            {
                "file": name,
                "valid": name not in invalid,
                "problems": [p.as_dict() for p in problems],
                **({"gaps": gaps[name]} if name in gaps else {}),
            }
            for name, problems in results
        ]
        json.dump({"files": files}, out, indent=2)
        out.write("\n")
    else:
        for name, problems in results:
            for problem in problems:
                prefix = "warning: " if problem.severity == "warning" else ""
                out.write(f"{prefix}{problem}\n")
            errors = sum(p.severity == "error" for p in problems)
            warnings = len(problems) - errors
            status = "invalid" if errors else "valid"
            counts = [_count(errors, "error"), _count(warnings, "warning")]
            detail = ", ".join(c for c in counts if c)
            out.write(f"{name}: {status}" + (f" ({detail})" if detail else "") + "\n")
            if name in gaps:
                out.write(f"{name}: {_gap_line(gaps[name])}\n")
        checked = len(results)
        out.write(
            f"checked {_count(checked, 'file')}: {checked - len(invalid)} valid, "
            f"{len(invalid)} invalid\n"
        )
    return EXIT_INVALID if invalid else EXIT_OK


def _gap_line(counts: dict[str, int]) -> str:
    """``gaps: 11 (7 source_silent, 4 format_cannot_say)``: every kind, the older form if any."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    return f"gaps: {sum(counts.values())} ({kinds})"


def _count(number: int, noun: str) -> str:
    if number == 0:
        return ""
    return f"{number} {noun}" + ("" if number == 1 else "s")


# --- evaluate ------------------------------------------------------------------


def _add_evaluate(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="say what is due next and what is late in case histories",
        description=(
            "Evaluate case histories against a policy as of a moment: the status, the "
            "current stage, the actions required next (who, what, by when, why) and the "
            "breaches (what was due when, and how late). Each case is evaluated on its "
            "own: a broken case is reported and the others still run. Exit status: 0 if "
            "every case was evaluated, 1 if any could not be."
        ),
    )
    parser.add_argument(
        "cases",
        nargs="*",
        metavar="CASE",
        help="a case history JSON file (with --jsonl: JSON Lines files, or - for stdin)",
    )
    parser.add_argument(
        "--policy",
        metavar="ID|PATH",
        help=(
            "a shipped policy id, a policy file, or a folder of one policy's versions "
            "(default: each history's own 'policy')"
        ),
    )
    _add_policy_version(parser, "--policy-version", "--policy")
    _add_as_of(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="a report for people (the default) or JSON (schemas/evaluation.schema.json)",
    )
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="read one case history per line and write one JSON result per line",
    )
    parser.set_defaults(handler=_run_evaluate)


def _add_policy_version(parser: argparse.ArgumentParser, flag: str, policy: str) -> None:
    """``flag`` (e.g. --policy-version): a version of the policy option ``policy`` names.

    Given without ``policy``, it is a usage error (see `_parse`), not ignored.
    """
    paired = parser.get_default("versions_of") or ()
    parser.set_defaults(versions_of=(*paired, (flag, policy)))
    parser.add_argument(
        flag,
        metavar="VERSION",
        help=(
            f"the version to use when {policy} is a folder of versions (default: for each "
            "case, the version in force when its concern was raised)"
        ),
    )


def _add_one_policy(parser: argparse.ArgumentParser) -> None:
    """POLICY and --policy-version, for a command that works on one policy."""
    parser.add_argument(
        "policy",
        metavar="POLICY",
        help="a shipped policy id, a policy file, or a folder of versions (with --policy-version)",
    )
    parser.add_argument(
        "--policy-version",
        metavar="VERSION",
        help="the version to use when POLICY is a folder of versions",
    )


def _one_policy(reference: str, version: str | None) -> Policy:
    """The policy a command that works on one policy names (a folder's: the version asked)."""
    from challenge_rules.versions import named_version, policy_or_versions  # noqa: PLC0415

    return named_version(policy_or_versions(reference), version)


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        type=_timestamp,
        help=(
            "the moment to evaluate at, with its UTC offset, e.g. 2026-06-22T09:00:00+01:00 "
            "(default: now, and the output says which moment that was)"
        ),
    )


def _as_of(args: argparse.Namespace) -> datetime:
    # The one place a command reads the clock: the library always takes as_of.
    moment: datetime | None = args.as_of
    return moment or datetime.now(UTC).astimezone()


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not a timestamp: {text!r} (expected e.g. 2026-06-22T09:00:00+01:00)"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.utcoffset() is None:
        msg = f"{text!r} has no UTC offset (expected e.g. 2026-06-22T09:00:00+01:00)"
        raise argparse.ArgumentTypeError(msg)
    if not in_moment_range(moment):
        msg = f"{text!r} is out of range (expected {MOMENT_RANGE})"
        raise argparse.ArgumentTypeError(msg)
    return moment


def _above_zero(kind: type[int | float]) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` above 0 (limits, workers, ports)."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            msg = f"{text!r} is not {noun} above 0"
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


class _Policies:
    """Policies by the name a command line or history gives, each loaded once.

    A ``--policy`` folder holds a policy's versions: each case gets the version
    asked for (``--policy-version``) or the one in force for it at ``as_of``.
    """

    def __init__(self, override: str | None, version: str | None, as_of: datetime) -> None:
        self.override = override
        self.version = version
        self.as_of = as_of
        self.loaded: dict[str, Policy | PolicyVersions] = {}

    def check(self) -> None:
        """Load ``--policy`` now: a bad one is one error, not one per case."""
        if self.override is not None:
            from challenge_rules.versions import named_version, policy_or_versions  # noqa: PLC0415

            given = self.loaded[self.override] = policy_or_versions(self.override)
            if self.version is not None:
                named_version(given, self.version)

    def get(self, history: CaseHistory) -> Policy:
        name = self.override or history.policy
        if name is None:
            raise InvalidHistory(
                problems=(
                    Problem(
                        message="no policy to evaluate against",
                        path=("policy",),
                        expected="a 'policy' id in the history, or --policy on the command line",
                    ),
                ),
            )
        if name not in self.loaded:
            self.loaded[name] = (
                _policy_or_versions(name) if name == self.override else policy_from_reference(name)
            )
        given = self.loaded[name]
        version = self.version if name == self.override else None
        if isinstance(given, Policy) and version is None:
            return given  # as versions.choose: a single policy is itself
        from challenge_rules.versions import choose  # noqa: PLC0415 - see the imports

        return choose(given, history, self.as_of, version)


def _policy_or_versions(reference: str) -> Policy | PolicyVersions:
    from challenge_rules.versions import policy_or_versions  # noqa: PLC0415 - see the imports

    return policy_or_versions(reference)


def _error_json(error: ChallengeRulesError, source: str | None) -> dict[str, Any]:
    if isinstance(error, InvalidInput):
        problems = [p.with_source(error.source or source).as_dict() for p in error.problems]
    else:
        problems = [{"source": source, "message": str(error)}]
    return {"error": {"source": source, "problems": problems}}


def _run_evaluate(args: argparse.Namespace) -> int:
    # The clock is read here, at the edge, never inside the engine.
    as_of = _as_of(args)
    policies = _Policies(args.policy, args.policy_version, as_of)
    policies.check()
    if not args.cases:
        sys.stderr.write(
            "challenge-rules evaluate: give at least one CASE file (or - with --jsonl)\n"
        )
        return EXIT_USAGE
    if args.jsonl:
        return _evaluate_lines(args.cases, policies, as_of)
    failed = 0
    results: list[dict[str, Any]] = []
    for name in args.cases:
        try:
            history = load_history(name)
            evaluation = evaluate(policies.get(history), history, as_of)
        except ChallengeRulesError as error:
            failed += 1
            if args.format == "json":
                results.append(_error_json(error, name))
            sys.stderr.write(f"challenge-rules: {_located(error, name)}\n")
            continue
        if args.format == "json":
            results.append(to_json(evaluation))
        else:
            if len(args.cases) > 1:
                sys.stdout.write(f"== {name}\n")
            sys.stdout.write(render_text(evaluation) + ("\n" if len(args.cases) > 1 else ""))
    if args.format == "json":
        json.dump(results[0] if len(args.cases) == 1 else results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return EXIT_INVALID if failed else EXIT_OK


def _located(error: ChallengeRulesError, name: str) -> str:
    if isinstance(error, InvalidInput) and error.source is None:
        return str(attrs.evolve(error, source=name))
    return str(error)


def _blank_json(source: str) -> dict[str, Any]:
    # A record for a blank line keeps output line N the result of input line N.
    return {"skipped": {"source": source, "reason": "blank line"}}


def _jsonl_lines(names: Sequence[str], unreadable: Callable[[Problem], None]) -> Iterator[Line]:
    """Each line of each JSON Lines file (``-``: standard input), in order.

    A file that cannot be opened or read is passed to ``unreadable`` (after
    the lines read before the error) and the next file is read.
    """
    for name in names:
        try:
            yield from read_lines(name)
        except InvalidJSON as error:
            unreadable(error.problems[0].with_source(error.source))


JSONL_BLOCK: Final = 256
"""Lines of ``evaluate --jsonl`` evaluated together (`evaluate_many`), then written."""


def _evaluate_lines(names: Sequence[str], policies: _Policies, as_of: datetime) -> int:
    failed = 0

    def unreadable(problem: Problem) -> None:
        nonlocal failed
        failed += 1
        sys.stderr.write(f"challenge-rules: {problem}\n")

    lines = _jsonl_lines(names, unreadable)
    while block := list(itertools.islice(lines, JSONL_BLOCK)):
        for result in _block_json(block, policies, as_of):
            failed += "error" in result  # the record of a line that could not be evaluated
            sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
    return EXIT_INVALID if failed else EXIT_OK


def _block_json(block: list[Line], policies: _Policies, as_of: datetime) -> list[dict[str, Any]]:
    """The result of each line of ``block``, in order: an evaluation, or what stopped it.

    The block's histories are evaluated with `evaluate_many`, one call per
    policy; the caller keeps blocks small, so memory stays bounded however
    long the input, and each problem keeps its line's source.
    """
    results: list[dict[str, Any] | None] = [None] * len(block)
    waiting: dict[int, tuple[Policy, list[int], list[CaseHistory]]] = {}
    for index, line in enumerate(block):
        if line.blank:
            results[index] = _blank_json(line.source)
            continue
        try:
            history = load_history_line(line)
            policy = policies.get(history)
        except ChallengeRulesError as error:
            results[index] = _error_json(error, line.source)
            continue
        _, where, histories = waiting.setdefault(id(policy), (policy, [], []))
        where.append(index)
        histories.append(history)
    for policy, where, histories in waiting.values():
        found = evaluate_many(policy, histories, as_of, return_exceptions=True)
        for index, evaluation in zip(where, found, strict=True):
            results[index] = (
                _error_json(evaluation, block[index].source)
                if isinstance(evaluation, ChallengeRulesError)
                else to_json(evaluation)
            )
    return [result for result in results if result is not None]


# --- test ------------------------------------------------------------------------


def _add_test(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run policy scenario files and show what differs from what was expected",
        description=(
            "Run the scenarios in each file (a short case history, a moment and what the "
            "policy should then say) and show, for each failure, what was expected and what "
            "the policy actually gives. Exit status: 0 if every scenario passes, 1 if any "
            "fails or a file is invalid."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a scenario JSON file")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="also list the policy's rule clauses that no scenario names",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    parser.set_defaults(handler=_run_test)


def _run_test(args: argparse.Namespace) -> int:
    from challenge_rules.scenarios import render_outcome, run_file  # noqa: PLC0415 - loaded by the command that uses it

    passed = failed = 0
    invalid = False
    report: list[dict[str, Any]] = []
    for name in args.files:
        try:
            result = run_file(name)
        except ChallengeRulesError as error:
            invalid = True
            report.append({"file": name, **_error_json(error, name)})
            if args.format == "text":
                sys.stdout.write(f"{_located(error, name)}\n")
            continue
        passed += sum(o.passed for o in result.outcomes)
        failed += sum(not o.passed for o in result.outcomes)
        # The policy as the scenario file named it (a shipped id or the author's own file).
        uncovered = result.uncovered
        entry: dict[str, Any] = {
            "file": name,
            "policy": result.policy,
            "scenarios": [
                {"name": o.name, "passed": o.passed, "differences": list(o.differences)}
                for o in result.outcomes
            ],
        }
        if args.coverage:
            entry["uncovered_clauses"] = list(uncovered)
        report.append(entry)
        if args.format == "text":
            sys.stdout.write(render_outcome(result) + "\n")
            if args.coverage:
                listed = ", ".join(uncovered) if uncovered else "none"
                sys.stdout.write(f"{name}: rule clauses no scenario names: {listed}\n")
    if args.format == "json":
        json.dump({"files": report, "passed": passed, "failed": failed}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(f"{passed} passed, {failed} failed\n")
    return EXIT_INVALID if failed or invalid else EXIT_OK


# --- diagram ---------------------------------------------------------------------


def _add_diagram(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diagram",
        help="draw a policy's ladder as a Mermaid flowchart",
        description=(
            "Print a policy's ladder (stages, timescales, fallbacks, urgency exits) as a "
            "Mermaid flowchart, which GitHub and most documentation tools draw as it stands."
        ),
    )
    _add_one_policy(parser)
    parser.add_argument(
        "--nature",
        choices=[nature.value for nature in Nature],
        help="draw the ladder for concerns of this nature (e.g. child_protection_conference)",
    )
    parser.set_defaults(handler=_run_diagram)


def _run_diagram(args: argparse.Namespace) -> int:
    from challenge_rules.diagram import mermaid  # noqa: PLC0415 - loaded by the command that uses it

    policy = _one_policy(args.policy, args.policy_version)
    sys.stdout.write(mermaid(policy, nature=args.nature) + "\n")
    return EXIT_OK


# --- diff ------------------------------------------------------------------------


def _add_diff(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="say what changed between two policies, rule by rule",
        description=(
            "Compare two policies (files or shipped ids) and say, rule by rule and in plain "
            "words, what changed: stages, timescales, duties, fallbacks, clauses' quotes, "
            "contacts... Each change is located by JSON pointers into both files. Exit "
            "status, as diff(1): 0 if the policies say the same, 1 if they differ, 2 if "
            "either cannot be loaded (or for a usage error)."
        ),
    )
    parser.add_argument("old", metavar="OLD", help="the policy as it was (a file or shipped id)")
    parser.add_argument("new", metavar="NEW", help="the policy as it is now (a file or shipped id)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    parser.set_defaults(handler=_run_diff)


def _run_diff(args: argparse.Namespace) -> int:
    from challenge_rules import policydiff  # noqa: PLC0415 - loaded by the commands that use it

    try:
        old, new = policy_from_reference(args.old), policy_from_reference(args.new)
    except ChallengeRulesError as error:
        sys.stderr.write(f"challenge-rules: {error}\n")
        return EXIT_USAGE  # diff(1): 2 is trouble, 1 is "they differ"
    result = policydiff.diff(old, new)
    if args.format == "json":
        json.dump(policydiff.to_json(result), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(policydiff.render_text(result))
    return EXIT_OK if result.same else EXIT_INVALID


# --- replay ----------------------------------------------------------------------


def _add_replay(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="say which cases a new policy version would change, and how",
        description=(
            "Evaluate each case under the old policy and under the new one at the same "
            "moment, and say which cases would change status, stage, urgency, actions or "
            "breaches, and how, with counts. CASES is a JSON Lines file of case histories "
            "(- for standard input) or a folder of history files; cases are read and "
            "replayed one at a time. A case that cannot be read or evaluated is reported "
            "with its located problems and the others still run. Exit status: 0 if every "
            "case was replayed (whether or not it changes), 1 if any could not be."
        ),
    )
    parser.add_argument("cases", metavar="CASES", help="a JSON Lines file, a folder, or -")
    parser.add_argument(
        "--policy",
        required=True,
        metavar="OLD",
        help="the policy in force (an id, a file, or a folder of its versions)",
    )
    parser.add_argument(
        "--against",
        required=True,
        metavar="NEW",
        help="the proposed policy (an id, a file, or a folder of its versions)",
    )
    _add_policy_version(parser, "--policy-version", "--policy")
    _add_policy_version(parser, "--against-version", "--against")
    _add_as_of(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (changed cases and the counts) or json (JSON Lines: one case a line, "
        "then a summary line)",
    )
    parser.set_defaults(handler=_run_replay)


def _run_replay(args: argparse.Namespace) -> int:
    from challenge_rules import replay  # noqa: PLC0415 - loaded by the commands that use it
    from challenge_rules.versions import named_version, policy_or_versions  # noqa: PLC0415

    as_of = _as_of(args)
    old, new = policy_or_versions(args.policy), policy_or_versions(args.against)
    for given, version in ((old, args.policy_version), (new, args.against_version)):
        if version is not None:
            named_version(given, version)  # a missing version is one error, not one per case
    counts = replay.ReplayCounts()
    cases = replay.read_cases(args.cases)
    for result in replay.replay(
        cases, old, new, as_of, old_version=args.policy_version, new_version=args.against_version
    ):
        counts = counts.add(result)
        if args.format == "json":
            sys.stdout.write(replay.to_json_line(result) + "\n")
        elif isinstance(result, replay.CaseFailure):
            sys.stderr.write(f"challenge-rules: {result}\n")
        else:
            sys.stdout.write(replay.render_case(result))
    if args.format == "json":
        sys.stdout.write(replay.to_json_line(counts, as_of=as_of) + "\n")
    else:
        sys.stdout.write(
            f"replayed {_named(old, args.policy_version)} against "
            f"{_named(new, args.against_version)} as of {as_of.isoformat()}: {counts}\n"
        )
    return EXIT_INVALID if counts.failed else EXIT_OK


def _named(given: Policy | PolicyVersions, version: str | None) -> str:
    if not isinstance(given, Policy):
        return f"{given.id} {version or '(the version in force for each case)'}"
    return f"{given.id} {given.version}"


# --- versions ----------------------------------------------------------------------


def _add_versions(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "versions",
        help="list the versions of a policy in a folder, and the dates each is in force",
        description=(
            "Read a folder holding one policy file per version and list each version with "
            "the days it is in force, whether it takes over open cases, and its digest. "
            "Overlapping or gapped date ranges, a version given twice and another policy's "
            "file are reported as located problems. Exit status: 0 if the folder is a valid "
            "set of versions, 1 if not."
        ),
    )
    parser.add_argument("folder", metavar="FOLDER", help="a folder of one policy's versions")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=_run_versions)


def _run_versions(args: argparse.Namespace) -> int:
    from challenge_rules.versions import load_versions  # noqa: PLC0415 - see the imports

    found = load_versions(args.folder)
    if args.format == "json":
        json.dump(found.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(f"{found}\n")
    return EXIT_OK


# --- render ----------------------------------------------------------------------


def _add_render(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "render",
        help="write a policy as a document to sign off (HTML or Markdown)",
        description=(
            "Write a policy as a document for the people who sign it off: every rule in "
            "plain English beside the clause it comes from, the ladder drawn as a picture, "
            "fallbacks, urgency, duties, contacts per area, scope and exclusions, and every "
            "gap. HTML is one printable page with no JavaScript. Needs the 'render' extra."
        ),
    )
    _add_one_policy(parser)
    parser.add_argument("--format", choices=("html", "md"), default="html", help="html or md")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    parser.set_defaults(handler=_run_render)


def _run_render(args: argparse.Namespace) -> int:
    from challenge_rules.render import render  # noqa: PLC0415 - needs the optional extra

    text = render(_one_policy(args.policy, args.policy_version), args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return EXIT_OK


# --- schema ----------------------------------------------------------------------


def _add_schema(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="write the JSON Schemas, for editors that check files as you type",
        description=(
            "Write the JSON Schemas (policy, history, scenarios, evaluation) into a folder, "
            "one file per schema, so that an editor can check files against them without "
            "the network (see the json.schemas mapping in the authoring docs)."
        ),
    )
    parser.add_argument("--write", required=True, metavar="DIR", help="the folder to write to")
    parser.set_defaults(handler=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    from challenge_rules.authoring import schema_ids, write_schemas  # noqa: PLC0415

    names = {name: schema_id for schema_id, name in schema_ids().items()}
    for path in write_schemas(args.write):
        sys.stdout.write(f"wrote {path} ($id {names[path.name]})\n")
    return EXIT_OK


# --- init ------------------------------------------------------------------------


def _add_init(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "init",
        help="start a policy of your own: a policy file and its scenario file",
        description=(
            "Write a policy to start from (a shipped one with --from, or a small valid "
            "skeleton) and its scenario file into DIR, as ID.json and ID.scenarios.json, "
            "ready to edit, validate and test. Existing files are not replaced without "
            "--force."
        ),
    )
    parser.add_argument("folder", metavar="DIR", help="the folder to write to (created if need be)")
    parser.add_argument("--from", dest="origin", metavar="SHIPPED_ID", help="a shipped policy id")
    parser.add_argument("--id", dest="policy_id", default="my-policy", help="your policy's id")
    parser.add_argument("--force", action="store_true", help="replace files that exist")
    parser.set_defaults(handler=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    from challenge_rules.authoring import init  # noqa: PLC0415

    started = init(args.folder, origin=args.origin, policy_id=args.policy_id, force=args.force)
    origin = "the skeleton" if started.origin == "skeleton" else f"shipped policy {started.origin}"
    sys.stdout.write(
        f"wrote {started.policy} (from {origin}, with the id {args.policy_id})\n"
        f"wrote {started.scenarios} (its scenarios, naming ./{started.policy.name})\n"
        f"next: challenge-rules validate {started.policy}\n"
        f"      challenge-rules test {started.scenarios}\n"
    )
    return EXIT_OK


# --- changes ---------------------------------------------------------------------


def _add_changes(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "changes",
        help="list what changed between two evaluations of one case",
        description=(
            "Compare two evaluations of one case (evaluate --format json, before and after "
            "new events or time) and list the actions that appeared, became due soon, became "
            "breaches or were done, each with a key to notify once by and who to tell (with "
            "their line managers where the policy says so). Exit status: 0 if the "
            "evaluations could be compared, 1 if not."
        ),
    )
    parser.add_argument("before", metavar="BEFORE", help="the earlier evaluation JSON file")
    parser.add_argument("after", metavar="AFTER", help="the later evaluation JSON file")
    parser.add_argument(
        "--policy",
        metavar="ID|PATH",
        help="the policy the case was evaluated under, for the line managers to tell "
        "(default: the shipped policy the evaluations name, if there is one)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    parser.set_defaults(handler=_run_changes)


def _read_evaluation(name: str) -> Evaluation:
    from challenge_rules.report import from_json  # noqa: PLC0415 - loaded by the command that uses it

    # from_json runs the evaluation schema itself; the file's name is all we add.
    try:
        return from_json(read_json(name))
    except InvalidInput as error:
        raise attrs.evolve(error, source=name) from None


def _run_changes(args: argparse.Namespace) -> int:
    from challenge_rules import changes  # noqa: PLC0415 - loaded by the command that uses it

    before, after = _read_evaluation(args.before), _read_evaluation(args.after)
    policy = None
    if args.policy is not None:
        policy = policy_from_reference(args.policy)
    elif after.policy in shipped_policies():
        policy = shipped_policy(after.policy)
    try:
        result = changes.compare(before, after, policy=policy)
    except InvalidEvaluations as error:
        # The problems are located in AFTER; say which file the other one is.
        problems = tuple(
            attrs.evolve(p, hint=f"{p.hint}; BEFORE is {args.before}") for p in error.problems
        )
        raise attrs.evolve(error, problems=problems, source=args.after) from None
    if args.format == "json":
        json.dump(changes.to_json(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(changes.render_text(result))
    return EXIT_OK


# --- csv -------------------------------------------------------------------------


def _add_csv(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "csv",
        help="turn evaluate --jsonl results into CSV, one row per action and breach",
        description=(
            "Read the JSON Lines that evaluate --jsonl writes and write CSV: one row per "
            "required action and per breach, one row for a case with neither, and one error "
            "row for a case that could not be evaluated. Exit status: 0 if every line was "
            "read, 1 if any was not (it is reported, and the others are still written)."
        ),
    )
    parser.add_argument(
        "results", nargs="+", metavar="RESULTS", help="a JSON Lines file of results, or -"
    )
    parser.set_defaults(handler=_run_csv)


def _result_rows(names: Sequence[str], failed: list[str]) -> Iterator[Row]:
    from challenge_rules.table import result_rows  # noqa: PLC0415 - loaded by the command that uses it

    def unreadable(problem: Problem) -> None:
        failed.append(problem.source or "")
        sys.stderr.write(f"challenge-rules: {problem}\n")

    for line in _jsonl_lines(names, unreadable):
        if line.blank:
            continue
        source = line.source
        document, problems = parse_json(line.data)
        error: InvalidInput = InvalidJSONLine(problems=problems, source=source)
        if not problems:
            try:
                yield from result_rows(document, source)
                continue
            except InvalidInput as invalid:
                error = invalid
        failed.append(source)
        sys.stderr.write(f"challenge-rules: {error}\n")


def _run_csv(args: argparse.Namespace) -> int:
    from challenge_rules.table import write_csv  # noqa: PLC0415 - loaded by the command that uses it

    failed: list[str] = []
    write_csv(_result_rows(args.results, failed), sys.stdout)
    return EXIT_INVALID if failed else EXIT_OK


# --- serve -----------------------------------------------------------------------


def _add_serve(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP service (needs the server extra)",
        description=(
            "Check the shipped policies and those in --policies, then answer HTTP requests "
            "under /v1 (see /v1/openapi.json) until interrupted. Refuses to start, listing "
            "every problem, if a policy file is invalid. Needs "
            "pip install 'challenge-rules[server]'."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_above_zero(int), default=8000, help="port (8000)")
    parser.add_argument("--policies", metavar="DIR", help="a directory of policy JSON files")
    whole, number = _above_zero(int), _above_zero(float)
    parser.add_argument("--workers", type=whole, default=1, help="worker processes (1)")
    parser.add_argument("--max-body-bytes", type=whole, help="the largest request body")
    parser.add_argument("--max-events", type=whole, help="the most events per history")
    parser.add_argument("--max-cases", type=whole, help="the most cases per batch")
    parser.add_argument("--timeout", type=number, help="the most seconds per request")
    parser.set_defaults(handler=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    try:
        from challenge_rules import service  # noqa: PLC0415 - only serve needs the extra
    except ModuleNotFoundError as missing:
        if isinstance(missing, MissingExtra):
            raise
        raise MissingExtra(
            feature="challenge-rules serve", extra="server", missing=missing.name or "Starlette"
        ) from None
    names = ("max_body_bytes", "max_events", "max_cases", "timeout")
    # The options' own types refuse what Limits would (a number not above 0).
    limits = service.Limits(
        **{name: getattr(args, name) for name in names if getattr(args, name) is not None}
    )
    if args.policies is not None and not Path(args.policies).is_dir():
        found = "a file" if Path(args.policies).exists() else "nothing"
        sys.stderr.write(
            f"challenge-rules serve: --policies {args.policies}: found {found} "
            "(expected a folder of policy JSON files)\n"
        )
        return EXIT_INVALID
    try:
        service.serve(args.host, args.port, args.policies, limits, workers=args.workers)
    except SystemExit as stopped:  # uvicorn exits when it cannot listen (the port is taken)
        if stopped.code in (None, 0):
            return EXIT_OK
        sys.stderr.write(
            f"challenge-rules serve: the service could not run on {args.host}:{args.port} "
            "(see the message above; is the port in use?)\n"
        )
        return EXIT_INVALID
    return EXIT_OK


# --- report --------------------------------------------------------------------


def _add_report(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="report on a whole caseload: stages, timeliness, breaches, drift",
        description=(
            "Evaluate every case of a caseload under one policy as of a moment and report "
            "what a partnership's quality-assurance paper needs: concerns raised and where "
            "they stand, by month or quarter, agency, sector, area, topic and nature; stages "
            "reached and working days in each; time to resolution; breaches; drift; and the "
            "partnership's own record. Cases stream through: memory holds only the totals. "
            "Bad cases and log rows are reported (on standard error) and counted as refused. "
            "Exit status: 0 if every case was used, 1 if any was refused, 2 for a usage error."
        ),
    )
    parser.add_argument(
        "cases",
        nargs="+",
        metavar="CASES",
        help=(
            "a JSON Lines file of histories (.jsonl, or - for stdin), a folder of history "
            ".json files, or an escalation log (.csv)"
        ),
    )
    parser.add_argument(
        "--policy",
        required=True,
        metavar="ID|PATH",
        help="a shipped policy id, a policy file, or a folder of versions (with --policy-version)",
    )
    _add_policy_version(parser, "--policy-version", "--policy")
    _add_as_of(parser)
    parser.add_argument(
        "--from",
        dest="period_from",
        metavar="DATE",
        type=_date,
        help="count concerns raised on or after this date (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--to",
        dest="period_to",
        metavar="DATE",
        type=_date,
        help="count concerns raised on or before this date (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--by",
        choices=("month", "quarter"),
        default="month",
        help="the period of the tables over time",
    )
    parser.add_argument(
        "--idle-days",
        type=_positive,
        default=10,
        metavar="N",
        help="an open case with no event for N working days is drifting (default: 10)",
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="the column mapping of a .csv escalation log (default: docs/caseload.md's)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "csv", "html"),
        default="text",
        help="text (the default), csv (a folder of files) or html (one page, the report extra)",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="a file for text and html (default: standard output), a folder for csv",
    )
    parser.set_defaults(handler=_run_report)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"not a date: {text!r} (expected YYYY-MM-DD, e.g. 2026-04-01)"
        raise argparse.ArgumentTypeError(msg) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        msg = f"not a whole number of at least 1: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _run_report(args: argparse.Namespace) -> int:
    from challenge_rules import caseload  # noqa: PLC0415 - loaded by the command that uses it

    usage = _report_usage(args)
    if usage:
        sys.stderr.write(f"challenge-rules report: {usage}\n")
        return EXIT_USAGE
    if args.format == "html":
        caseload.require_html()  # before any case is read: MissingExtra, exit status 2
    as_of = _as_of(args)
    policy = _one_policy(args.policy, args.policy_version)
    mapping = caseload.load_mapping(args.mapping) if args.mapping else None
    refused = 0

    def on_refused(case: caseload.Refused) -> None:
        nonlocal refused
        refused += 1
        sys.stderr.write(f"challenge-rules: refused {case}\n")

    cases = (
        case for name in args.cases for case in caseload.read_cases(name, policy, mapping=mapping)
    )
    settings: dict[str, Any] = {
        "period_from": args.period_from,
        "period_to": args.period_to,
        "grouping": args.by,
        "idle_days": args.idle_days,
        "duties_recorded": not any(caseload.is_log(name) for name in args.cases),
        "on_refused": on_refused,
    }
    try:
        report = _write_report(args, policy, cases, as_of, settings)
    except OSError as error:  # reading is refused case by case: this is the output
        sys.stderr.write(
            f"challenge-rules report: cannot write {error.filename or args.output} "
            f"({error.strerror}); hint: --output is a folder for csv, else a file\n"
        )
        return EXIT_INVALID
    return EXIT_INVALID if refused or report.refused else EXIT_OK


def _write_report(
    args: argparse.Namespace,
    policy: Policy,
    cases: Iterable[CaseHistory | caseload.Refused],
    as_of: datetime,
    settings: dict[str, Any],
) -> caseload.CaseloadReport:
    from challenge_rules import caseload  # noqa: PLC0415 - loaded by the command that uses it

    if args.format == "csv":
        with caseload.CaseWriter(args.output) as writer:
            report = caseload.build_report(policy, cases, as_of, on_case=writer, **settings)
        caseload.write_tables(report, args.output)
        sys.stdout.write(
            f"wrote {args.output}: cases.csv, breaches.csv and {len(report.tables)} tables "
            f"({report.counted} cases counted, {report.refused} refused)\n"
        )
    else:
        report = caseload.build_report(policy, cases, as_of, **settings)
        render = caseload.render_html if args.format == "html" else caseload.render_text
        text = render(report)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return report


def _report_usage(args: argparse.Namespace) -> str | None:
    if args.format == "csv" and not args.output:
        return "--format csv writes a folder of files: give it with --output FOLDER"
    if args.period_from and args.period_to and args.period_to < args.period_from:
        return "--to is before --from"
    if args.mapping and not any(name.lower().endswith(".csv") for name in args.cases):
        return "--mapping is for .csv escalation logs, and no CASES is one"
    return None


# --- the command -------------------------------------------------------------------

_SUBCOMMANDS: Final[dict[str, Callable[[Subparsers[argparse.ArgumentParser]], None]]] = {
    "validate": _add_validate,
    "evaluate": _add_evaluate,
    "versions": _add_versions,
    "test": _add_test,
    "diagram": _add_diagram,
    "diff": _add_diff,
    "replay": _add_replay,
    "render": _add_render,
    "schema": _add_schema,
    "init": _add_init,
    "changes": _add_changes,
    "csv": _add_csv,
    "serve": _add_serve,
    "report": _add_report,
}
"""Each subcommand's name and the function that adds it, in the order of ``--help``."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with every subcommand, or with the subcommand ``only`` alone.

    A command line that names its subcommand first is parsed by the parser
    with that one alone (`main`): argparse takes longer to build the others'
    options than to parse, and a subcommand's parsing, usage and help do not
    depend on the others.
    """
    parser = argparse.ArgumentParser(
        prog="challenge-rules",
        description=(
            "Check safeguarding professional challenge and escalation policies, "
            "and evaluate case histories against them."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, add in _SUBCOMMANDS.items():
        if only is None or name == only:
            add(subparsers)
    for subcommand in subparsers.choices.values():
        # Usage errors are told with the subcommand's own usage line (see `_parse`).
        subcommand.set_defaults(usage_parser=subcommand)
    return parser


def _unknown_words(words: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """What argparse left unread, with the closest option for each misspelt one."""
    options = [o for action in parser._actions for o in action.option_strings]  # noqa: SLF001
    hints = [
        f"{word}: {hint}"
        for word in words
        if word.startswith("-") and (hint := suggest(word.split("=", 1)[0], options))
    ]
    return f"unrecognized arguments: {' '.join(words)}" + "".join(f"; {h}" for h in hints)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed arguments; a usage error exits (SystemExit) with the right usage line."""
    words = list(sys.argv[1:] if argv is None else argv)
    names = list(_subcommand_names(parser))
    if words and not words[0].startswith("-") and words[0] not in names:
        hint = suggest(words[0], names)
        parser.error(
            f"unknown subcommand {words[0]!r} (expected one of: {', '.join(names)})"
            + (f"; {hint}" if hint else "")
        )
    args, unknown = parser.parse_known_args(words)
    usage: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
    if unknown:
        usage.error(_unknown_words(unknown, usage))
    for flag, policy in getattr(args, "versions_of", ()):
        if getattr(args, _dest(flag)) is not None and getattr(args, _dest(policy)) is None:
            usage.error(f"{flag} needs {policy} (a folder of versions, or a policy file or id)")
    return args


def _dest(flag: str) -> str:
    """The attribute argparse keeps ``flag``'s value in (--policy-version: policy_version)."""
    return flag.lstrip("-").replace("-", "_")


def _subcommand_names(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    """The subcommands ``parser`` (from `build_parser`) knows, in the order of ``--help``."""
    return tuple(
        name
        for action in parser._actions  # noqa: SLF001 - argparse keeps its subparsers here
        if isinstance(action, argparse._SubParsersAction)  # noqa: SLF001
        for name in action.choices
    )


def _os_error_status(error: OSError) -> int:
    """Report an OS error that reached `main`, and give the exit status."""
    if isinstance(error, BrokenPipeError):
        # The reader went away (e.g. `| head -1`): stop quietly, with the status a
        # shell reports for a tool the pipe's SIGPIPE stops, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    # Every input file turns its OS errors into located problems where it is read,
    # so what is left is the output (a full disk, a closed terminal).
    target = error.filename or "<stdout>"
    sys.stderr.write(f"challenge-rules: {target}: cannot write: {error.strerror or error}\n")
    return EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the process's arguments); return its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words and words[0] in _SUBCOMMANDS else None)
    try:
        args = _parse(parser, words)
    except SystemExit as exit_:  # argparse exits for --help and for usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        status = handler(args)
        # Flushed here, so a closed or full output is reported like any other error,
        # not as a traceback at interpreter exit.
        sys.stdout.flush()
    except ChallengeRulesError as error:
        sys.stderr.write(f"challenge-rules: {error}\n")
        # A missing extra is the installation's fault, not the input's: a usage error.
        return EXIT_USAGE if isinstance(error, MissingExtra) else EXIT_INVALID
    except KeyboardInterrupt:
        sys.stderr.write("challenge-rules: interrupted\n")
        return 130
    except OSError as error:
        return _os_error_status(error)
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a traceback
        sys.stderr.write(
            f"challenge-rules: internal error ({type(error).__name__}); this is a bug: "
            f"please report it at {_ISSUES} with the command you ran\n"
        )
        return EXIT_INTERNAL
    return status


__all__ = ["build_parser", "main"]
