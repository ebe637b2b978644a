"""The scheduled extract: the reporting database's disagreements to JSON Lines.

One case history per line (schemas/history.schema.json), ready for
``challenge-rules evaluate --jsonl``. Run it from cron, a systemd timer or the
database's own scheduler, e.g.::

    python extract.py --database reporting.db --out cases.jsonl
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

QUERY = """
SELECT d.reference, d.policy, e.event_id, e.kind, e.at, e.details
FROM disagreement AS d JOIN disagreement_event AS e USING (reference)
ORDER BY d.reference, e.position
"""


def extract(database: Path, out: Path) -> int:
    """Write one JSON line per disagreement; return how many."""
    histories: dict[str, dict[str, object]] = {}
    with sqlite3.connect(database) as connection:
        for reference, policy, event_id, kind, at, details in connection.execute(QUERY):
            history = histories.setdefault(
                reference, {"reference": reference, "policy": policy, "events": []}
            )
            event = {"kind": kind, "id": event_id, "at": at, **json.loads(details)}
            history["events"].append(event)  # type: ignore[union-attr]
    with out.open("w", encoding="utf-8") as stream:
        for history in histories.values():
            stream.write(json.dumps(history, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(histories)


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    count = extract(args.database, args.out)
    print(f"extracted {count} case histories to {args.out}")  # noqa: T201 - a script's report


if __name__ == "__main__":
    main()
