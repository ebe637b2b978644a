"""Write the package's generated data modules again, from their sources.

Run ``python scripts/generate_data.py`` after changing what they are made from;
the test suite fails while one is stale, and says which:

- ``src/challenge_rules/_bank_holidays.py``: the England and Wales bank
  holidays of the years most cases fall in, from workalendar and the
  corrections in ``_holidays.py`` (``_holidays.table_source``).
- ``src/challenge_rules/_validated.py``: the SHA-256 digest of each shipped
  policy file that passes every check (``_shipped.digests_source``), which
  lets ``shipped_policy`` skip checks already passed by those exact bytes, and
  the ``policy_digest`` of each, so that no command works one out at run time.
- ``src/challenge_rules/_id_rules.py``: the id patterns and lengths of the
  packaged JSON Schemas (``_ids.rules_source``), so that no import parses the
  schemas for them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from challenge_rules import _holidays, _ids, _shipped
from challenge_rules._digest import computed_digest
from challenge_rules._resources import policy_folder
from challenge_rules.loading import load_policy, shipped_policies, shipped_policy_problems

if TYPE_CHECKING:
    from collections.abc import Iterable

SRC = Path(__file__).resolve().parents[1] / "src" / "challenge_rules"


def validated_digests() -> dict[str, str]:
    """The digest of each shipped policy file that passes every check (warnings allowed)."""
    return {
        policy_id: _shipped.digest((policy_folder() / f"{policy_id}.json").read_bytes())
        for policy_id in shipped_policies()
        if not any(p.severity == "error" for p in shipped_policy_problems(policy_id))
    }


def rules_digests(policy_ids: Iterable[str]) -> dict[str, str]:
    """The `policy_digest` of each of these shipped policies, loaded the checked way."""
    return {
        policy_id: computed_digest(load_policy(str(policy_folder() / f"{policy_id}.json")))
        for policy_id in policy_ids
    }


def main() -> int:
    """Write each generated module, and say which changed."""
    validated = validated_digests()
    written = {
        SRC / "_bank_holidays.py": _holidays.table_source(),
        SRC / "_validated.py": _shipped.digests_source(validated, rules_digests(validated)),
        SRC / "_id_rules.py": _ids.rules_source(),
    }
    for path, text in written.items():
        changed = not path.exists() or path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(SRC.parents[1])}: {'written' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
