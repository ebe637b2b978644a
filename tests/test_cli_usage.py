"""Usage errors and unusable files name what was wrong, with the subcommand's usage and a hint."""

from __future__ import annotations

import argparse

import pytest

from challenge_rules.cli import EXIT_INVALID, EXIT_USAGE, build_parser, main

CASE = "examples/cases/pan-cheshire-step1-overdue.json"

# (command line, exit status, what standard error must say)
USAGE_ERRORS = [
    (["evalute", CASE], EXIT_USAGE, 'did you mean "evaluate"?'),
    (["evalute", CASE], EXIT_USAGE, "unknown subcommand 'evalute'"),
    (["evaluate", CASE, "--polcy", "hips"], EXIT_USAGE, 'did you mean "--policy"?'),
    (["evaluate", CASE, "--polcy", "hips"], EXIT_USAGE, "usage: challenge-rules evaluate"),
    (["validate", "hips", "--strict"], EXIT_USAGE, "usage: challenge-rules validate"),
    (["diagram", "hips", "--nature", "adultt"], EXIT_USAGE, "invalid choice: 'adultt'"),
    (["serve", "--max-cases", "-1"], EXIT_USAGE, "--max-cases: '-1' is not a whole number above 0"),
    (["serve", "--workers", "0"], EXIT_USAGE, "--workers: '0' is not a whole number above 0"),
    (["serve", "--timeout", "soon"], EXIT_USAGE, "--timeout: 'soon' is not a number above 0"),
    (["serve", "--policies", "README.md"], EXIT_INVALID, "found a file (expected a folder"),
    (["csv", "missing.jsonl"], EXIT_INVALID, "missing.jsonl: /: file not found"),
    (["csv", "docs"], EXIT_INVALID, "docs: /: this is a folder, not a file"),
    (["evaluate", CASE, "--policy-version", "9.9"], EXIT_USAGE, "--policy-version needs --policy"),
    (["evaluate", CASE, "--policy-version", "9.9"], EXIT_USAGE, "usage: challenge-rules evaluate"),
]


@pytest.mark.parametrize(("argv", "status", "said"), USAGE_ERRORS)
def test_a_usage_error_or_an_unusable_file_is_told_plainly(
    argv: list[str], status: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == status
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err


def _versions_without_their_policy() -> list[tuple[str, str, str]]:
    """Each (subcommand, version option, policy option) where the policy may be left out."""
    found = []
    for action in build_parser()._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            optional = {o for a in sub._actions if not a.required for o in a.option_strings}
            found += [
                (name, flag, policy)
                for flag, policy in sub.get_default("versions_of") or ()
                if policy in optional
            ]
    return found


def test_every_version_option_given_without_its_policy_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = _versions_without_their_policy()
    assert ("evaluate", "--policy-version", "--policy") in found
    for name, flag, policy in found:
        assert main([name, CASE, flag, "9.9"]) == EXIT_USAGE
        assert f"{flag} needs {policy}" in capsys.readouterr().err
