"""Which IANA time zone names a policy may use: those whose meaning is the same on every host.

A few names in a host's zone folder are not zones the tz database defines the
same way everywhere: ``localtime`` is whatever zone the machine is set to,
``posixrules`` is the host's rule for POSIX TZ strings, ``Factory`` is a
placeholder with no offset of its own, and the ``right/`` and ``posix/``
folders are optional copies (``right/`` counts leap seconds, so its clocks
differ from civil time). A policy naming one would give different deadlines
on different machines, so they are refused: this table is the one place that
says so (the working calendar and the policy checks both consult it).
"""

from __future__ import annotations

from typing import Final

HOST_NAMES: Final = frozenset({"localtime", "posixrules", "Factory"})
"""Names that mean whatever the host makes them mean."""
HOST_FOLDERS: Final = ("right/", "posix/")
"""Folders some hosts add beside the tz database's own names."""


def depends_on_host(name: str) -> bool:
    """Tell whether the zone ``name`` means different things on different machines."""
    return name in HOST_NAMES or name.startswith(HOST_FOLDERS)


__all__ = ["HOST_FOLDERS", "HOST_NAMES", "depends_on_host"]
