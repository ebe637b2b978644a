"""How the policy model declares its references: field metadata, written once.

A field of a `challenge_rules.policy` value that names another part of the
policy (a role, a stage, a clause, ...) says so in its attrs metadata with
`refers`; a field whose value *is* such a name (``Role.id``, ``Contact.purpose``)
says so with `defines`.  `challenge_rules._vocabulary` walks the model by
these declarations; nothing else lists where references are.
"""

from __future__ import annotations

from typing import Final

import attrs

REFERS: Final = "challenge_rules.refers"
"""The metadata key of a field that refers to a `Target`."""
DEFINES: Final = "challenge_rules.defines"
"""The metadata key of a field whose value is a name of a `Target`."""
RULE: Final = "challenge_rules.rule"
"""The metadata key of a clause reference that is the authority for a rule (see `refers`)."""


# Compared and hashed by identity: there is one of each, and the walk hashes them often.
@attrs.frozen(eq=False)
class Target:
    """A kind of thing a policy names and refers to."""

    what: str
    """How a message names one (``role``, ``contact purpose``)."""
    collection: str
    """The `Policy` field that holds them, as the JSON names it."""


SOURCE: Final = Target("source", "sources")
CLAUSE: Final = Target("clause", "clauses")
ROLE: Final = Target("role", "roles")
STAGE: Final = Target("stage", "stages")
PURPOSE: Final = Target("contact purpose", "contacts")
FORM: Final = Target("form", "forms")
SECTOR: Final = Target("sector", "sectors")
RISK_LEVEL: Final = Target("risk level", "risk_levels")
PARTNERSHIP: Final = Target("partnership area", "partnerships")
TOPIC: Final = Target("topic", "topics")

TARGETS: Final = (
    SOURCE,
    CLAUSE,
    ROLE,
    STAGE,
    PURPOSE,
    FORM,
    SECTOR,
    RISK_LEVEL,
    PARTNERSHIP,
    TOPIC,
)
"""Every target, in the order reference problems are reported."""


def refers(target: Target, *, rule: bool = False) -> dict[str, object]:
    """Field metadata: the field (a name, or a tuple of names) refers to ``target``.

    ``rule``: a clause that is the authority for a step, timescale, fallback,
    urgency rule, duty or exclusion (scenario coverage counts these).
    """
    return {REFERS: target, RULE: rule}


def defines(target: Target) -> dict[str, object]:
    """Field metadata: the field's value is a name of ``target``."""
    return {DEFINES: target}
