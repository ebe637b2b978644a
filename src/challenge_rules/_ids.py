"""The id rules, read from the packaged JSON Schemas: the one place they are written.

``policy.schema.json`` defines what an id is (``$defs/id``: the ids a policy
gives its stages, roles, clauses, ...), and ``history.schema.json`` what an
event id is (``$defs/event_id``).  Python code that checks ids without the
schema (the history values' validators, the shipped-policy lookup, the
messages that explain a failed pattern) takes the pattern and the length from
here, so the Python side has no copy of its own.  (``history.schema.json``
repeats the id definition rather than referring to the policy schema's: each
published schema must validate documents on its own, with no other file.)
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from challenge_rules._resources import schema_files


def _definition(schema: str, name: str) -> dict[str, Any]:
    text = schema_files()[schema].read_text("utf-8")
    found: dict[str, Any] = json.loads(text)["$defs"][name]
    return found


_ID: Final = _definition("policy", "id")
_EVENT_ID: Final = _definition("history", "event_id")

ID_PATTERN: Final[str] = _ID["pattern"]
"""The pattern of a policy id, as the schema writes it (anchored with ``^`` and ``$``)."""
ID_MAX_LENGTH: Final[int] = _ID["maxLength"]
EVENT_ID_PATTERN: Final[str] = _EVENT_ID["pattern"]
"""The pattern of an event id, as the schema writes it."""
EVENT_ID_MAX_LENGTH: Final[int] = _EVENT_ID["maxLength"]

ID_RE: Final = re.compile(ID_PATTERN)
"""`ID_PATTERN` compiled; use ``fullmatch``, so that a trailing newline never passes."""
EVENT_ID_RE: Final = re.compile(EVENT_ID_PATTERN)
