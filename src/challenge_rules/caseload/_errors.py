"""The caseload report's own error."""

from __future__ import annotations

from attrs import frozen

from challenge_rules.errors import ChallengeRulesError


@frozen(eq=False)
class MissingExtra(ChallengeRulesError):
    """A feature needs an optional extra that is not installed."""

    feature: str
    extra: str
    missing: str | None = None

    def __str__(self) -> str:
        lacking = f" ({self.missing} is not installed)" if self.missing else ""
        return (
            f"{self.feature} needs the '{self.extra}' extra{lacking}; "
            f"hint: pip install 'challenge-rules[{self.extra}]'"
        )


__all__ = ["MissingExtra"]
