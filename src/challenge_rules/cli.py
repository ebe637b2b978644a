"""The ``challenge-rules`` command.

Each subcommand is one pair of functions: ``_add_NAME(subparsers)`` declares
its arguments and sets ``handler`` to ``_run_NAME(args) -> int``, which does
the work and returns the exit status. To add a subcommand, write the pair and
list ``_add_NAME`` in `_SUBCOMMANDS`.

Exit statuses: 0 success, 1 invalid input (or a failed check), 2 a usage
error, 70 an internal error (a bug: please report it). No subcommand ever
prints a traceback, or the contents of the documents it reads.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from challenge_rules import caseload
from challenge_rules.diagram import mermaid
from challenge_rules.errors import (
    ChallengeRulesError,
    InvalidHistory,
    InvalidInput,
    Problem,
    UnknownPolicy,
)
from challenge_rules.evaluate import evaluate
from challenge_rules.report import render_text, to_json
from challenge_rules.scenarios import render_outcome, run_file
from challenge_rules.schema import (
    history_problems,
    load_history,
    load_policy,
    parse_json,
    policy_problems,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERNAL: Final = 70
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
    parser.set_defaults(handler=_run_validate)


def _check_file(name: str, kind: str) -> tuple[Problem, ...]:
    """Every problem of one file, warnings included; a missing file is a problem too."""
    if kind == "history":
        return history_problems(name)
    try:
        return policy_problems(name)
    except UnknownPolicy as error:
        known = ", ".join(error.available) or "none"
        return (
            Problem(
                message=f'no file or shipped policy is called "{name}"',
                expected=f"the path of a JSON file, or a shipped policy id ({known})",
                hint=_did_you_mean(name, error.available) or "a file name needs its .json ending",
                source=name,
            ),
        )


def _did_you_mean(name: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None


def _run_validate(args: argparse.Namespace) -> int:
    out: TextIO = sys.stdout
    results: list[tuple[str, tuple[Problem, ...]]] = []
    for name in args.files:
        problems = tuple(p.with_source(name) for p in _check_file(name, args.kind))
        results.append((name, problems))
    invalid = [n for n, ps in results if any(p.severity == "error" for p in ps)]
    if args.format == "json":
        files = [
            {
                "file": name,
                "valid": name not in invalid,
                "problems": [p.as_dict() for p in problems],
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
        checked = len(results)
        out.write(
            f"checked {_count(checked, 'file')}: {checked - len(invalid)} valid, "
            f"{len(invalid)} invalid\n"
        )
    return EXIT_INVALID if invalid else EXIT_OK


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
        help="a shipped policy id or a policy file (default: each history's own 'policy')",
    )
    parser.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        type=_timestamp,
        help=(
            "the moment to evaluate at, with its UTC offset, e.g. 2026-06-22T09:00:00+01:00 "
            "(default: now)"
        ),
    )
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


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not a timestamp: {text!r} (expected e.g. 2026-06-22T09:00:00+01:00)"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.utcoffset() is None:
        msg = f"{text!r} has no UTC offset (expected e.g. 2026-06-22T09:00:00+01:00)"
        raise argparse.ArgumentTypeError(msg)
    return moment


class _Policies:
    """Policies by the name a command line or history gives, each loaded once."""

    def __init__(self, override: str | None) -> None:
        self.override = override
        self.loaded: dict[str, Policy] = {}

    def get(self, history: CaseHistory) -> Policy:
        name = self.override or history.policy
        if name is None:
            raise InvalidHistory(
                kind="case history",
                problems=(
                    Problem(
                        message="no policy to evaluate against",
                        pointer="/policy",
                        expected="a 'policy' id in the history, or --policy on the command line",
                    ),
                ),
            )
        if name not in self.loaded:
            self.loaded[name] = load_policy(name)
        return self.loaded[name]


def _error_json(error: ChallengeRulesError, source: str | None) -> dict[str, Any]:
    if isinstance(error, InvalidInput):
        problems = [p.with_source(error.source or source).as_dict() for p in error.problems]
    else:
        problems = [{"source": source, "message": str(error)}]
    return {"error": {"source": source, "problems": problems}}


def _run_evaluate(args: argparse.Namespace) -> int:
    # The clock is read here, at the edge, never inside the engine.
    as_of: datetime = args.as_of or datetime.now(UTC).astimezone()
    policies = _Policies(args.policy)
    if args.policy is not None:
        load_policy(args.policy)  # a bad --policy is one error, not one per case
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


def _evaluate_lines(names: Sequence[str], policies: _Policies, as_of: datetime) -> int:
    failed = 0
    for name in names:
        stream = sys.stdin if name == "-" else Path(name).open(encoding="utf-8")  # noqa: SIM115
        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                source = f"{name}:{number}"
                try:
                    document, problems = parse_json(line)
                    if problems:
                        raise InvalidHistory(kind="case history", problems=problems, source=source)
                    if not isinstance(document, dict):
                        raise InvalidHistory(
                            kind="case history",
                            problems=(
                                Problem(
                                    message="not a JSON object", expected="a case history object"
                                ),
                            ),
                            source=source,
                        )
                    history = load_history(document)
                    result = to_json(evaluate(policies.get(history), history, as_of))
                except ChallengeRulesError as error:
                    failed += 1
                    result = _error_json(error, source)
                sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
    return EXIT_INVALID if failed else EXIT_OK


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
    parser.add_argument("policy", metavar="POLICY", help="a shipped policy id or a policy file")
    parser.add_argument(
        "--nature",
        help="draw the ladder for concerns of this nature (e.g. child_protection_conference)",
    )
    parser.set_defaults(handler=_run_diagram)


def _run_diagram(args: argparse.Namespace) -> int:
    sys.stdout.write(mermaid(load_policy(args.policy), nature=args.nature) + "\n")
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
        "--policy", required=True, metavar="ID|PATH", help="a shipped policy id or a policy file"
    )
    parser.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        type=_timestamp,
        help="the moment to report at, with its UTC offset (default: now)",
    )
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
    usage = _report_usage(args)
    if usage:
        sys.stderr.write(f"challenge-rules report: {usage}\n")
        return EXIT_USAGE
    if args.format == "html":
        try:
            caseload.require_html()
        except caseload.MissingExtra as error:
            sys.stderr.write(f"challenge-rules report: {error}\n")
            return EXIT_USAGE
    as_of: datetime = args.as_of or datetime.now(UTC).astimezone()  # the edge reads the clock
    policy = load_policy(args.policy)
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

_SUBCOMMANDS: Final[tuple[Callable[[Subparsers[argparse.ArgumentParser]], None], ...]] = (
    _add_validate,
    _add_evaluate,
    _add_test,
    _add_diagram,
    _add_report,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="challenge-rules",
        description=(
            "Check safeguarding professional challenge and escalation policies, "
            "and evaluate case histories against them."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the process's arguments); return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits for --help and for usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ChallengeRulesError as error:
        sys.stderr.write(f"challenge-rules: {error}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        sys.stderr.write("challenge-rules: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_INVALID
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a traceback
        sys.stderr.write(
            f"challenge-rules: internal error ({type(error).__name__}); this is a bug: "
            f"please report it at {_ISSUES} with the command you ran\n"
        )
        return EXIT_INTERNAL


__all__ = ["build_parser", "main"]
