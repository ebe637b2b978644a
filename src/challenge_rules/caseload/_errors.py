"""The caseload report's errors: the library's own (kept here for the package's names)."""

from __future__ import annotations

from challenge_rules.errors import MissingExtra

__all__ = ["MissingExtra"]
