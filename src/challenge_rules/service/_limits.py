"""What one request may ask of the service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs
from attrs import field, frozen

if TYPE_CHECKING:
    from collections.abc import Mapping

ENVIRONMENT: Final = "CHALLENGE_RULES_"
"""Environment variables configuring the service (`Limits`, the policy directory) start so."""


@frozen
class Limits:
    """What one request may ask of the service; each is refused with a problem when exceeded."""

    max_body_bytes: int = field(default=8 * 1024 * 1024, validator=attrs.validators.gt(0))
    """The largest request body (413 when larger, refused before it is all read)."""
    max_events: int = field(default=2000, validator=attrs.validators.gt(0))
    """The most events in one case history (422, located at its ``/events``)."""
    max_cases: int = field(default=500, validator=attrs.validators.gt(0))
    """The most cases in one batch (422, located at ``/cases``)."""
    timeout: float = field(default=20.0, validator=attrs.validators.gt(0))
    """The most seconds a request may take (503, with ``Retry-After``)."""

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Limits:
        """Limits from ``CHALLENGE_RULES_MAX_EVENTS`` and the like (defaults for the rest)."""
        values: dict[str, float] = {}
        for name, attribute in attrs.fields_dict(cls).items():
            text = environment.get(ENVIRONMENT + name.upper())
            if text is not None:
                values[name] = float(text) if attribute.type in {"float", float} else int(text)
        return cls(**values)  # type: ignore[arg-type]

    def to_environment(self) -> dict[str, str]:
        """The environment variables `from_environment` reads back as these limits."""
        return {ENVIRONMENT + k.upper(): str(v) for k, v in attrs.asdict(self).items()}


__all__ = ["ENVIRONMENT", "Limits"]
