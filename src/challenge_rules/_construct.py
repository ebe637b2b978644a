"""Frozen values built without the cost of their frozen ``__init__``.

An attrs frozen class's ``__init__`` must get past its own ``__setattr__``
(which refuses every assignment), so it stores each field through
``object.__setattr__``: measured at about four times a plain slot store.  The
history reader builds a dozen values per case (the history, its parties and
events) and the engine a dozen more (the `Evaluation`, its `StageRecord`s,
`Action`s, `Breach`es, ...).  `constructor` returns a function with the
class's own signature that does what attrs' ``__init__`` does, in the same
order, with the stores made into a plain slotted *twin* of the class (the
same slots, no ``__setattr__`` of its own) which is then given the frozen
class: each argument stored (through its converter, if it has one); then,
unless validators are disabled (``attrs.validators.disabled()``), each
field's validator called on the frozen object; then its
``__attrs_post_init__``.  So it returns the value ``cls(...)`` returns and
raises what ``cls(...)`` raises (tests/test_construct.py shows both over
generated fields).

It returns ``cls`` itself where attrs' ``__init__`` does more than that
(factories, converters that take the instance, a pre-init hook, a cached
hash, several bases, a ``__dict__``, an ``__init__`` of the class's own, a
non-frozen class's stores through its ``__setattr__``), where the twin could
not be made or instantiated as the class is (a generic or abstract base),
for private fields (so no field name meets the generated code's own), and
for a class with a ``__weakref__`` slot of its own, a layout CPython refuses a
class assignment for: the value classes built per case are declared without
one for that reason (an event's is its base class's, which the twin shares),
and a test says each gets the fast constructor, so a change that stops one
from getting it makes it slower, never wrong.
"""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

P = ParamSpec("P")
T = TypeVar("T")


def _plain(cls: type) -> bool:  # noqa: PLR0911 - one test per reason, each said
    """Whether attrs' ``__init__`` of ``cls`` is one `_generated` mirrors, on slots it can share."""
    if "__attrs_attrs__" not in cls.__dict__ or len(cls.__bases__) != 1:
        return False  # not an attrs class of its own (or several bases to mirror)
    if any("__slots__" not in c.__dict__ for c in cls.__mro__[:-1]):
        return False  # a __dict__ somewhere: not a slotted layout to share
    if typing.Generic in cls.__mro__:
        return False  # a twin with a generic base cannot be made
    if getattr(cls.__bases__[0], "__abstractmethods__", None):
        return False  # the twin would keep the base's abstract methods: no instance
    slots = cls.__dict__["__slots__"]
    if "__weakref__" in slots:
        return False
    if getattr(cls, "__attrs_pre_init__", None) is not None:
        return False
    code = getattr(cls.__dict__.get("__init__"), "__code__", None)
    if code is None or "attrs generated" not in code.co_filename:
        return False  # an __init__ of the class's own may do anything
    if "_setattr" not in code.co_varnames:
        # attrs stores past __setattr__ (frozen, or setattr hooks) through its local
        # _setattr; without it a store goes through the class's own __setattr__.  Should
        # attrs rename it, every class falls back: slower, never wrong.
        return False
    if "__attrs_cached_hash" in slots or "_attrs_cached_hash" in slots:
        return False
    return all(
        field.init
        and field.alias == field.name
        and not field.name.startswith("_")  # the generated code's own names start with _
        and not isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
        and (field.converter is None or type(field.converter) is not attrs.Converter)
        for field in attrs.fields(cls)
    )


_BUILT: dict[object, Callable[..., Any]] = {}
"""Each class's constructor, once made: one per class of the model, so bounded."""


def constructor(cls: Callable[P, T]) -> Callable[P, T]:
    """A function that builds ``cls(*args, **kwargs)`` faster, or ``cls`` where it cannot.

    Same signature (defaults included), same result, same errors: see the module's docstring.
    """
    built = _BUILT.get(cls)
    if built is None:
        built = _BUILT[cls] = _generated(cls) if isinstance(cls, type) and _plain(cls) else cls
    return built


def _generated(cls: type) -> Callable[..., Any]:
    fields = attrs.fields(cls)
    # The same base and the same slots of its own: the layout CPython lets a class assignment
    # change (an inherited __weakref__ slot is shared; one of the class's own is not).
    twin = type(
        f"_{cls.__name__}Twin",
        cls.__bases__,
        {
            "__slots__": tuple(cls.__dict__["__slots__"]),
            # A frozen base's refusals do not apply here.  Both, or the slot they share
            # (tp_setattro) dispatches through Python: several times slower.
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_twin": twin,
        "_disabled": attrs.validators.get_disabled,
    }
    positional: list[str] = []
    keyword: list[str] = []
    stores: list[str] = []
    checks: list[str] = []
    for field in fields:
        name = field.name
        parameter = name
        if field.default is not attrs.NOTHING:
            namespace[f"_default_{name}"] = field.default
            parameter = f"{name}=_default_{name}"
        (keyword if field.kw_only else positional).append(parameter)
        value = name
        if field.converter is not None:
            namespace[f"_convert_{name}"] = field.converter
            value = f"_convert_{name}({name})"
        stores.append(f"    _o.{name} = {value}")
        if field.validator is not None:
            namespace[f"_validate_{name}"] = field.validator
            namespace[f"_field_{name}"] = field
            checks.append(f"        _validate_{name}(_o, _field_{name}, _o.{name})")
    parameters = [*positional, *(["*", *keyword] if keyword else [])]
    # Bound to the class below as ``self``, so a wrong call is counted and worded as
    # attrs' __init__ would (its ``self`` counts among the positional arguments).
    lines = [
        f"def build({', '.join(['self', *parameters])}):",
        "    _o = _new(_twin)",
        *stores,
        "    _o.__class__ = self",
    ]
    if checks:
        lines += ["    if not _disabled():", *checks]
    if getattr(cls, "__attrs_post_init__", False):  # attrs' own test: None is no hook
        lines.append("    _o.__attrs_post_init__()")
    lines.append("    return _o")
    source = "\n".join(lines) + "\n"
    # Generated from the class's own fields, as attrs generates its __init__.
    exec(compile(source, f"<challenge_rules constructor {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    function = namespace["build"]
    # A wrong call's TypeError then names the class, as calling it would.
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    function.__doc__ = f"Build a {cls.__qualname__} as calling the class does (see _construct)."
    # A bound method is called as fast as the function (CPython unpacks it in the call).
    build: Callable[..., Any] = types.MethodType(function, cls)
    return build


__all__ = ["constructor"]
