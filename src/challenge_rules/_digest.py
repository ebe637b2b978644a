"""A policy's digest: which rules, exactly, an evaluation was made under.

`policy_digest` hashes the policy's canonical form: the `Policy` value
unstructured by the converter with every field left out that holds its
default, written as JSON with sorted keys, no whitespace and non-ASCII
characters as themselves, encoded as UTF-8, then SHA-256.  It is a function
of the value alone: key order, indentation, line endings and the file's path
or name do not change it, nor does spelling a default out; any change to a
rule (a timescale, a clause's quote, a contact, the version string) does.
Leaving defaults out also keeps a stored digest valid across releases of this
library: a construct added to the format later (a field with a default) does
not change the digest of a policy that does not use it.

Caching: the digests of the last 64 policies asked about are kept (an LRU
cache keyed on the policy, whose hash is cached, as `_plan.plan_for`), so a
caseload evaluated under one policy hashes it once; a shipped policy's digest
is generated with the package and recorded when the policy is loaded
(`remember`), so it is never worked out at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING, Final

from challenge_rules.converter import make_converter

if TYPE_CHECKING:
    from cattrs import Converter

    from challenge_rules.policy import Policy

ALGORITHM: Final = "sha256"
"""The hash, named as the digest's prefix (``sha256:...``)."""


@functools.cache
def _canonical_converter() -> Converter:
    """The converter's hooks, with fields holding their defaults left out (built once)."""
    import attrs  # noqa: PLC0415 - only digests need it here
    from cattrs.gen import make_dict_unstructure_fn  # noqa: PLC0415 - imported lazily (startup)

    converter = make_converter()
    # Registered last, so it is asked before cattrs' own attrs hook; classes with a hook
    # of their own (a timescale, which already leaves its defaults out) keep theirs.
    converter.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True),
    )
    return converter


def canonical_json(policy: Policy) -> bytes:
    """The canonical form the digest is of: defaults left out, sorted keys, no whitespace."""
    data = _canonical_converter().unstructure(policy)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def computed_digest(policy: Policy) -> str:
    """``"sha256:"`` and the hex SHA-256 of the policy's `canonical_json`, worked out."""
    return f"{ALGORITHM}:{hashlib.sha256(canonical_json(policy)).hexdigest()}"


_KNOWN: dict[Policy, str] = {}
"""Digests known without working them out: the shipped policies' (see `remember`)."""


def remember(policy: Policy, digest: str) -> None:
    """Record ``digest`` as ``policy``'s, so `policy_digest` need not work it out.

    For the shipped policies, whose digests are generated with the trusted
    file digests (`challenge_rules._validated`) and tested equal to
    `computed_digest`: a command evaluating one case under a shipped policy
    then never builds the canonical converter (some milliseconds of start-up).
    """
    _KNOWN[policy] = digest


def policy_digest(policy: Policy) -> str:
    """``"sha256:"`` and the hex SHA-256 of the policy's `canonical_json`.

    Two policies have the same digest exactly when they are equal values; a
    stored evaluation's ``policy_digest`` says which rules produced it.
    """
    known = _KNOWN.get(policy)
    return known if known is not None else _cached_digest(policy)


_cached_digest = functools.lru_cache(maxsize=64)(computed_digest)


__all__ = ["ALGORITHM", "canonical_json", "computed_digest", "policy_digest", "remember"]
