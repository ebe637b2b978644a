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
import sys
from pathlib import Path

QUERY = """
SELECT d.reference, d.policy, e.event_id, e.kind, e.at, e.details
FROM disagreement AS d JOIN disagreement_event AS e USING (reference)
ORDER BY d.reference, e.position
"""


class ExtractError(Exception):
    """The extract cannot be made: the message says where and why."""


def _details(text: str, reference: str, event_id: str) -> dict[str, object]:
    try:
        details = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        message = f"case {reference}, event {event_id}: details are not JSON ({error})"
        raise ExtractError(message) from None
    if not isinstance(details, dict):
        raise ExtractError(f"case {reference}, event {event_id}: details are not a JSON object")
    return details


def extract(database: Path, out: Path) -> int:
    """Write one JSON line per disagreement; return how many.

    Raises `ExtractError` if the database cannot be read (it is opened read-only,
    so a wrong path is an error, not a new empty database) or a row is bad.
    """
    histories: dict[str, dict[str, object]] = {}
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        with connection:
            for reference, policy, event_id, kind, at, details in connection.execute(QUERY):
                history = histories.setdefault(
                    reference, {"reference": reference, "policy": policy, "events": []}
                )
                event = {"kind": kind, "id": event_id, "at": at}
                event.update(_details(details, reference, event_id))
                history["events"].append(event)  # type: ignore[union-attr]
        connection.close()
    except sqlite3.Error as error:
        raise ExtractError(f"{database}: cannot read the reporting database ({error})") from None
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
    try:
        count = extract(args.database, args.out)
    except (ExtractError, OSError) as error:
        sys.exit(f"extract.py: {error}")
    print(f"extracted {count} case histories to {args.out}")  # noqa: T201 - a script's report


if __name__ == "__main__":
    main()
