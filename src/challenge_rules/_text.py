"""Small text helpers for problem messages: one behaviour wherever a message is written.

`short` trims a value quoted back to the user, `listing` names the choices
there were, and `suggest` offers the closest of them ("did you mean ...?").
The schema messages, the policy checks and the history checks all use these,
so a misspelt name gets the same help whichever check finds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

LISTED: Final = 12
"""How many names `listing` shows before it says how many more there are."""

_CUTOFF: Final = 0.6  # difflib's own default: close enough to be a likely misspelling


def whole_number(text: str) -> int | None:
    """``text`` as a whole number if it is ASCII digits alone, else None.

    For a JSON pointer's array index or a Content-Length: ``str.isdigit`` also
    takes digits such as "¹", which `int` refuses.
    """
    return int(text) if text.isascii() and text.isdigit() else None


def short(text: str, limit: int = 60) -> str:
    """``text``, cut to ``limit`` characters with "..." when longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def listing(names: Iterable[str], empty: str = "(none are defined)") -> str:
    """The names, in the order given without repeats, the first `LISTED` of them."""
    shown = list(dict.fromkeys(names))
    if not shown:
        return empty
    more = len(shown) - LISTED
    text = ", ".join(shown[:LISTED])
    return f"{text}, and {more} more" if more > 0 else text


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The choice ``word`` is most likely a misspelling of, or None.

    A close match by `difflib` (ratio at least 0.6), else one that differs
    only in case (``Working_Days`` for ``working_days``).  Choices that are
    not text are compared as their `str`; a ``word`` that is not text has none.
    """
    import difflib  # noqa: PLC0415 - loaded only for a message that suggests a word

    if not isinstance(word, str):
        return None
    options = [str(choice) for choice in choices]
    close = difflib.get_close_matches(word, options, n=1, cutoff=_CUTOFF)
    if close:
        return close[0]
    folded = word.casefold()
    return next((option for option in options if option.casefold() == folded), None)


def suggest(word: object, choices: Iterable[object]) -> str | None:
    """A hint naming the closest choice (``did you mean "x"?``), or None."""
    found = closest(word, choices)
    return f'did you mean "{found}"?' if found is not None else None
