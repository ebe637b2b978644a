"""`_construct.constructor` builds the value ``cls(...)`` builds, or is ``cls`` itself."""

from __future__ import annotations

import abc
import contextlib
import pickle
from typing import Any, Final, Generic, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._construct import constructor
from challenge_rules.calendar import Deadline, Lateness
from challenge_rules.evaluation import (
    Action,
    Breach,
    ConcernSummary,
    Evaluation,
    Notice,
    StageRecord,
)
from challenge_rules.history import EVENT_TYPES, CaseHistory, Party
from challenge_rules.testing import cases

RESULT_CLASSES = (Action, Breach, StageRecord, Evaluation, ConcernSummary, Notice)
"""The classes the engine builds through `constructor`, per case."""
FAST_CLASSES = (
    *RESULT_CLASSES,
    Deadline,
    Lateness,
    Party,
    CaseHistory,
    *EVENT_TYPES.values(),
)
"""Every class built through `constructor` per case: by the engine, the calendar, the reader."""

# Field values of any hashable shape: attrs checks no types, so neither may the constructor.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.tuples(st.integers()),
    st.frozensets(st.integers(), max_size=3),
)


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
def test_each_value_class_built_per_case_gets_the_fast_constructor(cls: type) -> None:
    # If this fails, the class gained something __init__ must run (a validator, ...):
    # results stay right, built by cls itself, only slower.
    assert constructor(cls) is not cls


def assert_same_value(built: object, expected: object) -> None:
    cls = type(expected)
    assert type(built) is cls
    assert built == expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)
    assert attrs.astuple(built, recurse=False) == attrs.astuple(expected, recurse=False)
    assert pickle.loads(pickle.dumps(built)) == expected  # noqa: S301 - our own bytes
    assert not hasattr(built, "__dict__")
    name = attrs.fields(cls)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(built, name, None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(built, name)
    assert attrs.evolve(built) == expected


def outcome(make: Any, args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[str, object]:
    """What ``make(*args, **kwargs)`` gives: the value, or the error's class and message."""
    try:
        return "built", make(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - whatever the class raises, ours must too
        return type(error).__name__, str(error)


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_the_constructor_builds_or_refuses_what_the_class_does(
    cls: type, data: st.DataObject
) -> None:
    # Arbitrary values: a class with validators mostly refuses them, with the same error.
    fields = attrs.fields(cls)
    values = [data.draw(VALUES, label=field.name) for field in fields]
    # Every required field, and some of those with defaults.
    chosen = [data.draw(st.booleans()) or field.default is attrs.NOTHING for field in fields]
    keywords = {f.name: v for f, v, c in zip(fields, values, chosen, strict=True) if c}
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = [((), keywords)]
    if not any(field.kw_only for field in fields):
        given = next((i for i, c in enumerate(chosen[::-1]) if c), len(fields))
        calls.append((tuple(values[: len(fields) - given]), {}))
    for args, kwargs in calls:
        ours, theirs = outcome(constructor(cls), args, kwargs), outcome(cls, args, kwargs)
        assert ours == theirs
        if ours[0] == "built":
            assert_same_value(ours[1], theirs[1])


_WRONG_CALLS: Final = {
    "nothing": ((), {}),
    "too many positional arguments": (("stage_skipped", "message", "e1", "extra"), {}),
    "an unknown keyword": ((), {"code": "stage_skipped", "message": "m", "colour": "red"}),
    "a field twice": (("stage_skipped",), {"code": "stage_skipped", "message": "m"}),
    "self by keyword": ((), {"self": 1, "code": "stage_skipped", "message": "m"}),
}


@pytest.mark.parametrize(("args", "kwargs"), _WRONG_CALLS.values(), ids=_WRONG_CALLS.keys())
def test_a_wrong_call_fails_as_the_class_does(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours, theirs = outcome(constructor(Notice), args, kwargs), outcome(Notice, args, kwargs)
    assert ours[0] == "TypeError"
    assert ours == theirs  # the same words: the class's name, the same count of arguments


@given(cases())
def test_every_value_of_an_evaluation_is_its_class_s_own(case: Any) -> None:
    evaluation = evaluate(*case)
    values: list[object] = [
        evaluation,
        *evaluation.timeline,
        *evaluation.actions,
        *evaluation.breaches,
        *evaluation.warnings,
        evaluation.concern,
    ]
    for value in values:
        cls = type(value)
        assert_same_value(value, cls(**attrs.asdict(value, recurse=False)))


# --- what attrs' __init__ does besides storing: the same, in the same order --------------


@attrs.frozen(weakref_slot=False)
class _Plain:
    a: int
    b: int = 2


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, not {value}")


def _after_a(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    # Sees the fields stored before it runs, as attrs' validators do.
    if value < instance.a:
        raise ValueError(f"{attribute.name} ({value}) before a ({instance.a})")


@attrs.frozen(weakref_slot=False)
class _Checked:
    a: int = attrs.field(validator=_positive)
    b: int = attrs.field(default=5, validator=[_positive, _after_a])


@attrs.frozen(weakref_slot=False)
class _Converted:
    a: int = attrs.field(converter=abs)
    b: tuple[int, ...] = attrs.field(default=[3, 1], converter=tuple)  # the default converted too


@attrs.frozen(weakref_slot=False)
class _PostInit:
    a: int

    def __attrs_post_init__(self) -> None:
        if self.a < 0:
            raise ValueError(f"a is {self.a}")


@attrs.frozen(weakref_slot=False, kw_only=True)
class _KeywordOnly:
    a: int = attrs.field(validator=_positive)
    b: int = 0


@attrs.frozen(weakref_slot=False)
class _Mixed:
    a: int
    b: int = attrs.field(kw_only=True)
    c: int = 1


@attrs.frozen(kw_only=True)
class _Base:  # with a __weakref__ slot, which its subclasses share
    a: int = attrs.field(validator=_positive)


@attrs.frozen(kw_only=True)
class _Derived(_Base):  # as every event is a subclass of Event
    b: int = 1
    c: int = attrs.field(default=2, validator=_after_a)


@attrs.frozen(weakref_slot=False)
class _Sub(_Plain):
    c: int = 3


SUPPORTED = (_Plain, _Checked, _Converted, _PostInit, _KeywordOnly, _Mixed, _Derived, _Sub)


@pytest.mark.parametrize("cls", SUPPORTED, ids=lambda cls: cls.__name__)
@given(
    args=st.lists(st.integers(-3, 6), max_size=3).map(tuple),
    kwargs=st.dictionaries(st.sampled_from("abcz"), st.integers(-3, 6), max_size=3),
    disabled=st.booleans(),
)
def test_it_builds_and_refuses_what_the_class_does(
    cls: type, args: tuple[int, ...], kwargs: dict[str, int], *, disabled: bool
) -> None:
    assert constructor(cls) is not cls
    with attrs.validators.disabled() if disabled else contextlib.nullcontext():
        ours, theirs = outcome(constructor(cls), args, kwargs), outcome(cls, args, kwargs)
        assert ours == theirs  # a wrong call (a TypeError) in the same words too
        if ours[0] == "built":
            assert_same_value(ours[1], theirs[1])


def test_validators_see_the_frozen_value() -> None:
    seen: list[object] = []

    @attrs.frozen(weakref_slot=False)
    class Seen:
        a: int = attrs.field(validator=lambda instance, _, __: seen.append(type(instance)))

    constructor(Seen)(1)
    assert seen == [Seen]


# --- classes whose __init__ does what the constructor does not: the class itself ---------


@attrs.frozen(weakref_slot=False)
class _Factory:
    a: list[int] = attrs.field(factory=list)


@attrs.frozen(weakref_slot=False)
class _ConverterTakingSelf:
    a: int = attrs.field(converter=attrs.Converter(lambda value, _: value, takes_self=True))


@attrs.frozen
class _WithWeakref:
    a: int


@attrs.frozen(weakref_slot=False, cache_hash=True)
class _CachedHash:
    a: int


@attrs.frozen(weakref_slot=False)
class _Private:
    _a: int


@attrs.frozen(weakref_slot=False)
class _PreInit:
    a: int

    def __attrs_pre_init__(self) -> None:
        pass


@attrs.define(weakref_slot=False)
class _Mutable:
    a: int


@attrs.frozen(slots=False)
class _NoSlots:
    a: int


class _Mixin:
    __slots__ = ()


@attrs.frozen(weakref_slot=False)
class _TwoBases(_Plain, _Mixin):
    e: int = 5


@attrs.frozen(weakref_slot=False)
class _Unslotted(_NoSlots):
    b: int = 1


class _NotAttrsSub(_Plain):
    __slots__ = ()


@attrs.frozen(weakref_slot=False, init=False)
class _OwnInit:
    a: int

    def __init__(self, a: int) -> None:
        object.__setattr__(self, "a", a * 2)


class _NotAttrs:
    __slots__ = ("a",)


@attrs.define(weakref_slot=False)
class _OwnSetattr:  # not frozen: attrs' __init__ stores through this __setattr__
    a: str

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, str(value).upper())


class _Shape(abc.ABC):
    __slots__ = ()

    @abc.abstractmethod
    def area(self) -> int: ...


@attrs.frozen(weakref_slot=False)
class _Square(_Shape):  # the twin, with _Shape's methods and not this one's, is abstract
    side: int

    def area(self) -> int:
        return self.side**2


_T = TypeVar("_T")


@attrs.frozen(weakref_slot=False)
class _Box(Generic[_T]):  # no class can have a bare Generic base: no twin
    item: _T


@attrs.frozen(weakref_slot=False)
class _AliasedPrivate:  # its name would meet the generated code's own names
    _cls: int = attrs.field(alias="_cls")


FALLBACKS = (
    _Factory,
    _ConverterTakingSelf,
    _WithWeakref,
    _CachedHash,
    _Private,
    _PreInit,
    _Mutable,
    _NoSlots,
    _TwoBases,
    _Unslotted,
    _NotAttrsSub,
    _OwnInit,
    _NotAttrs,
    _OwnSetattr,
    _Square,
    _Box,
    _AliasedPrivate,
)


@pytest.mark.parametrize("cls", FALLBACKS, ids=lambda cls: cls.__name__)
def test_a_class_whose_init_does_more_is_built_by_itself(cls: type) -> None:
    assert constructor(cls) is cls


@attrs.frozen(weakref_slot=False)
class _PostInitBase:
    a: int

    def __attrs_post_init__(self) -> None:
        raise AssertionError("the subclass says it has no post-init")


@attrs.frozen(weakref_slot=False)
class _NoPostInit(_PostInitBase):
    __attrs_post_init__ = None  # attrs calls no hook then


def test_a_post_init_hook_of_none_is_not_called() -> None:
    assert constructor(_NoPostInit) is not _NoPostInit
    assert_same_value(constructor(_NoPostInit)(1), _NoPostInit(1))


def test_a_plain_class_gets_one_made_once_that_keeps_its_defaults() -> None:
    build = constructor(_Plain)
    assert build is constructor(_Plain)
    assert_same_value(build(1), _Plain(1))
    assert build(1).b == 2
