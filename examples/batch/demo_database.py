"""Build a demonstration reporting database from examples/cases/*.json.

Stands in for the case system's own database, so the recipe runs anywhere::

    python demo_database.py reporting.db
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).parent
CORE = ("kind", "id", "at")


def build(database: Path) -> None:
    """Create the reporting tables in ``database`` and fill them from the example cases."""
    with sqlite3.connect(database) as connection:
        connection.executescript((HERE / "reporting.sql").read_text(encoding="utf-8"))
        for path in sorted((HERE.parent / "cases").glob("*.json")):
            history = json.loads(path.read_text(encoding="utf-8"))
            connection.execute(
                "INSERT INTO disagreement VALUES (?, ?)", (history["reference"], history["policy"])
            )
            for position, event in enumerate(history["events"]):
                details = {k: v for k, v in event.items() if k not in CORE}
                connection.execute(
                    "INSERT INTO disagreement_event VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        history["reference"],
                        position,
                        event["id"],
                        event["kind"],
                        event["at"],
                        json.dumps(details),
                    ),
                )


if __name__ == "__main__":
    build(Path(sys.argv[1]))
