"""Instants with fixed UTC offsets, sharing one tzinfo object per offset.

Two reasons, both about comparing aware datetimes:

* A ZoneInfo datetime in the repeated hour of an autumn clock change
  (``fold=1``) never compares equal to the same instant in another zone
  (PEP 495), so instants that leave the library carry plain offsets.
* CPython compares two aware datetimes quickly only when they share a tzinfo
  object; otherwise it asks each for its offset, about fifteen times slower.
  Every timestamp parsed from text has a tzinfo object of its own, so the
  history reader and the engine restate times with the shared one.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

_ZONES: dict[timedelta, timezone] = {}
"""The shared tzinfo for each fixed offset met (offsets are few: entries are never dropped)."""
_SHARED: dict[int, timezone] = {}
"""The same objects by identity, to tell a shared tzinfo from an equal one cheaply."""


def _offset_zone(offset: timedelta) -> timezone:
    zone = _ZONES.get(offset)
    if zone is None:
        # setdefault: two threads racing here still agree on one object.
        zone = _ZONES.setdefault(offset, timezone(offset))
        _SHARED[id(zone)] = zone
    return zone


@functools.cache  # keyed by an offset's text that parsed: under 5,000 (+HH:MM, -HH:MM, Z)
def offset_zone(text: str) -> timezone:
    """The shared tzinfo for an offset as a timestamp writes it (``Z``, ``+01:00``).

    The text is read by ``datetime.fromisoformat``, as the timestamp it ends
    was; the cache then finds the tzinfo by the text alone.
    """
    offset = datetime.fromisoformat("2000-01-01T00:00:00" + text).utcoffset()
    assert offset is not None  # noqa: S101 - parsed with its offset
    return _offset_zone(offset)


def shared_offset(moment: datetime) -> datetime:
    """The same instant, with the one fixed-offset tzinfo object the library uses for its offset.

    CPython compares two aware datetimes quickly only when they share a tzinfo
    object; otherwise it asks each for its offset (an order of magnitude
    slower), and every timestamp parsed from text has a tzinfo object of its
    own. The engine compares instants constantly, so it works in these.
    """
    zone = moment.tzinfo
    if zone is not None and _SHARED.get(id(zone)) is zone:
        return moment
    if type(zone) is timezone:
        return moment.astimezone(_offset_zone(zone.utcoffset(None)))
    return fixed_offset(moment)


def is_shared_offset(moment: datetime) -> bool:
    """Tell whether ``moment`` has the shared tzinfo for its offset (see `shared_offset`)."""
    zone = moment.tzinfo
    return zone is not None and _SHARED.get(id(zone)) is zone


def fixed_offset(moment: datetime) -> datetime:
    """The same instant with a fixed UTC offset.

    A ZoneInfo datetime in the repeated hour of an autumn clock change
    (``fold=1``) never compares equal to the same instant in another zone
    (PEP 495), so instants that leave the library carry plain offsets.
    """
    offset = moment.utcoffset()
    assert offset is not None  # noqa: S101 - every instant here is aware
    return moment.astimezone(_offset_zone(offset))
