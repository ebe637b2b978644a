"""`challenge_rules.authoring`: `init` a folder of one's own, and the schemas for editors."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from challenge_rules.authoring import BadPolicyId, WouldOverwrite, init, schema_ids, write_schemas
from challenge_rules.cli import main
from challenge_rules.errors import UnknownPolicy
from challenge_rules.loading import load_policy, policy_problems, shipped_policies, shipped_policy
from challenge_rules.policydiff import diff
from challenge_rules.scenarios import run_file

REPO = Path(__file__).resolve().parents[1]
SHIPPED = shipped_policies()


@pytest.mark.parametrize("origin", [None, *SHIPPED])
def test_init_writes_a_policy_and_scenarios_that_validate_and_pass(
    origin: str | None, tmp_path: Path
) -> None:
    started = init(tmp_path / "ours", origin=origin, policy_id="our-policy")
    assert started.policy.name == "our-policy.json"
    assert not [p for p in policy_problems(started.policy) if p.severity == "error"]
    policy = load_policy(started.policy)
    assert policy.id == "our-policy"
    result = run_file(started.scenarios)
    assert result.outcomes
    assert all(o.passed for o in result.outcomes)
    if origin is not None:
        # Only the id differs from the shipped policy, and the file keeps its layout.
        [change] = diff(shipped_policy(origin), policy).changes
        assert change.path == ("id",)
        shipped = (REPO / "src/challenge_rules/policies" / f"{origin}.json").read_text("utf-8")
        written = started.policy.read_text("utf-8")
        assert written == shipped.replace(f'"id": "{origin}"', '"id": "our-policy"', 1)


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    init(tmp_path)
    with pytest.raises(WouldOverwrite, match="--force"):
        init(tmp_path)
    init(tmp_path, origin="hips", force=True)
    assert load_policy(tmp_path / "my-policy.json").stages[0].id == "stage-1"


def test_init_refuses_a_bad_id_or_an_unknown_policy(tmp_path: Path) -> None:
    with pytest.raises(BadPolicyId, match="not a policy id"):
        init(tmp_path, policy_id="Our Policy")
    # The id the policy checks take, no more and no less: a written file always validates.
    with pytest.raises(BadPolicyId, match="at most 100 characters"):
        init(tmp_path, policy_id="a" * 101)
    with pytest.raises(UnknownPolicy):
        init(tmp_path, origin="nowhere")
    assert not list(tmp_path.iterdir())
    assert init(tmp_path, policy_id="our_policy-2").policy.name == "our_policy-2.json"
    assert policy_problems(tmp_path / "our_policy-2.json") == ()


def test_the_init_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path), "--from", "dudley", "--id", "dudley-2027"]) == 0
    assert "dudley-2027.scenarios.json" in capsys.readouterr().out
    assert main(["init", str(tmp_path), "--from", "dudley", "--id", "dudley-2027"]) == 1
    assert "already exists" in capsys.readouterr().err


def _vscode_settings() -> dict[str, object]:
    text = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```json\n(.*?)```", text, re.DOTALL) if "json.schemas" in b]
    assert len(blocks) == 1, "docs/authoring.md should show one json.schemas mapping"
    settings: dict[str, object] = json.loads(blocks[0])
    return settings


def _matches(patterns: list[str], name: str) -> bool:
    """VS Code's fileMatch: any pattern matches, and no ``!`` pattern does."""
    wanted = [p for p in patterns if not p.startswith("!")]
    unwanted = [p[1:] for p in patterns if p.startswith("!")]
    return any(fnmatch.fnmatch(name, p) for p in wanted) and not any(
        fnmatch.fnmatch(name, p) for p in unwanted
    )


def test_the_documented_editor_mapping_resolves_offline(tmp_path: Path) -> None:
    """Each file init writes maps to a schema file that exists, has its $schema as $id,
    and validates it."""
    write_schemas(tmp_path / "schemas")
    mapping = _vscode_settings()["json.schemas"]
    assert isinstance(mapping, list)
    for origin in SHIPPED:
        started = init(tmp_path, origin=origin, policy_id=f"our-{origin}")
        for written in (started.policy, started.scenarios):
            name = written.relative_to(tmp_path).as_posix()
            chosen = [m for m in mapping if _matches(m["fileMatch"], name)]
            assert len(chosen) == 1, (name, chosen)
            schema_file = tmp_path / chosen[0]["url"]
            assert schema_file.is_file(), chosen[0]["url"]
            schema = json.loads(schema_file.read_text(encoding="utf-8"))
            document = json.loads(written.read_text(encoding="utf-8"))
            assert document["$schema"] == schema["$id"]
            errors = list(Draft202012Validator(schema).iter_errors(document))
            assert not errors, (name, errors[:1])
    # The schemas themselves, and the editor's own settings, are matched by no mapping.
    for name in ("schemas/policy.schema.json", ".vscode/settings.json"):
        assert not [m for m in mapping if _matches(m["fileMatch"], name)], name


def test_write_schemas_writes_every_schema_under_its_id_name(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    ids = schema_ids()
    assert {p.name for p in written} == set(ids.values())
    for schema_id, name in ids.items():
        assert schema_id.endswith("/" + name)
        assert json.loads((tmp_path / name).read_text(encoding="utf-8"))["$id"] == schema_id
    # The same as the repository's published copies.
    for path in written:
        assert path.read_text(encoding="utf-8") == (REPO / "schemas" / path.name).read_text(
            encoding="utf-8"
        )
