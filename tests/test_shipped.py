"""The trusted path for shipped policies (`challenge_rules._shipped`).

It skips the checks of a shipped file whose bytes passed them, so these tests
are what make it honest: the digests are exactly those of the shipped files
that pass every check today, and the value built without the checks equals
the value the checked path builds, for every shipped policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from challenge_rules import _digest, _shipped, _validated, policy_digest
from challenge_rules._digest import computed_digest
from challenge_rules._resources import policy_folder
from challenge_rules.loading import (
    load_policy,
    shipped_policies,
    shipped_policy,
    shipped_policy_problems,
)

GENERATE = "python scripts/generate_data.py"


def _file(policy_id: str) -> Path:
    return Path(str(policy_folder() / f"{policy_id}.json"))


def test_the_digests_are_those_of_the_shipped_files_that_pass_every_check() -> None:
    passing = {
        policy_id: _shipped.digest(_file(policy_id).read_bytes())
        for policy_id in shipped_policies()
        if not any(p.severity == "error" for p in shipped_policy_problems(policy_id))
    }
    assert passing, "no shipped policy passes its checks"
    # Each one's policy_digest, worked out from the value the checked path builds.
    rules = {policy_id: computed_digest(load_policy(_file(policy_id))) for policy_id in passing}
    written = Path(_validated.__file__).read_text(encoding="utf-8")
    assert written == _shipped.digests_source(passing, rules), f"stale: run {GENERATE}"


@pytest.mark.parametrize("policy_id", shipped_policies())
def test_a_shipped_policy_s_recorded_digest_is_the_one_worked_out(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    assert _digest._KNOWN[policy] == policy_digest(policy) == computed_digest(policy)


@pytest.mark.parametrize("policy_id", shipped_policies())
def test_the_trusted_value_equals_the_checked_value(policy_id: str) -> None:
    trusted = _shipped.trusted_policy(policy_id)
    assert trusted is not None
    # load_policy of the path runs every check and structures with the detailed converter.
    checked = load_policy(_file(policy_id))
    assert trusted == checked
    assert shipped_policy(policy_id) == checked


def test_changed_bytes_are_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy_id = shipped_policies()[0]
    folder = tmp_path / "policies"
    folder.mkdir()
    original = _file(policy_id).read_bytes()
    (folder / f"{policy_id}.json").write_bytes(original.replace(b"{", b"{ ", 1))
    monkeypatch.setattr(_shipped, "policy_folder", lambda: folder)
    assert _shipped.trusted_policy(policy_id) is None
    (folder / f"{policy_id}.json").write_bytes(original)
    assert _shipped.trusted_policy(policy_id) == load_policy(_file(policy_id))


def test_unknown_and_missing_policies_are_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _shipped.trusted_policy("no-such-policy") is None
    monkeypatch.setattr(_shipped, "policy_folder", lambda: tmp_path)
    assert _shipped.trusted_policy(shipped_policies()[0]) is None
