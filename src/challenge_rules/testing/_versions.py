"""The `policy_versions` strategy: the versions of one policy (see `challenge_rules.testing`)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs
from hypothesis import strategies as st

from challenge_rules.testing._policies import policies
from challenge_rules.versions import PolicyVersions

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from challenge_rules.policy import Policy


@st.composite
def _versions(draw: st.DrawFn, base: SearchStrategy[Policy], most: int) -> PolicyVersions:
    first = draw(base)
    gaps = draw(st.lists(st.integers(1, 400), min_size=0, max_size=most - 1))
    found = [first]
    start = first.effective_from
    for number, gap in enumerate(gaps, 2):
        start += timedelta(days=gap)
        found.append(
            attrs.evolve(
                first,
                version=f"{first.version}.{number}",
                effective_from=start,
                applies_to_open_cases=draw(st.booleans()),
            )
        )
    # Some versions say their last day, always the day before the next one starts.
    ended = [
        attrs.evolve(policy, effective_until=after.effective_from - timedelta(days=1))
        if draw(st.booleans())
        else policy
        for policy, after in itertools.pairwise(found)
    ]
    return PolicyVersions(first.id, (*ended, found[-1]))


def policy_versions(
    policy: SearchStrategy[Policy] | None = None, *, max_versions: int = 4
) -> SearchStrategy[PolicyVersions]:
    """Valid `PolicyVersions`: 1 to ``max_versions`` versions of one drawn policy.

    Each later version is the first with another ``version`` and a later
    ``effective_from`` (1 to 400 days on), and may apply to open cases; an
    earlier one may give its ``effective_until``, always the day before the
    next version starts, so no two overlap and none leaves a gap.
    ``policy`` draws the first version (default: `policies`).
    """
    if max_versions < 1:
        raise ValueError("max_versions must be at least 1")
    return _versions(policy if policy is not None else policies(max_stages=3), max_versions)


__all__ = ["policy_versions"]
