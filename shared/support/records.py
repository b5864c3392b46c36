"""Immutable records: tuples with named fields, declared as ``typing.NamedTuple`` declares them (annotated
fields, defaults last, methods and properties beside them) and behaving as named tuples do (equal and hashed
as tuples, unpacked, ``_replace``, a ``repr`` by name). Every immutable value inside liverec is one
(ARCHITECTURE.md, "Value types").

A hand-written replacement of ``typing.NamedTuple``, kept for what a cold start pays to define a class
(``python -m bench.value_types``, bench/RESULTS.md "Value types": 2026-12-07 21:56 UTC, AMD EPYC, 2 cores,
Python 3.11.7; medians of 21 fresh processes; a class of six fields): 0.019 ms a record, 0.089 ms a named
tuple (``collections.namedtuple`` compiles a generated ``__new__`` and type-checks every annotation),
0.617 ms a frozen slotted dataclass (it compiles each method it generates). A handler's import defines up to
39 value classes: 0.7 ms as records, 3.5 ms as named tuples, 24.0 ms as dataclasses. Here the fields are
read from the class's own annotations (never evaluated) and each becomes a read-only property over its tuple
slot. The price is the build, by a ``__new__`` in Python: 1.35 us an instance against 0.47 us; a warm create
builds 11, 10 us more. Type checkers see a frozen dataclass (``dataclass_transform``): the same constructor
signature and the same errors for a missing field or an assignment.
"""

from inspect import get_annotations
from operator import itemgetter
from typing import Any, ClassVar, Self, dataclass_transform

_REQUIRED: Any = object()  # the default of a field declared without one


@dataclass_transform(frozen_default=True)
class Record(tuple):  # type: ignore[type-arg]  # each subclass names its own fields
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls) -> None:
        if "__slots__" not in cls.__dict__:
            raise TypeError(f"{cls.__name__}: a record declares __slots__ = () (no per-instance dict)")
        fields = tuple(get_annotations(cls))  # its own, in order, not evaluated
        defaults = tuple(cls.__dict__.get(name, _REQUIRED) for name in fields)
        seen_default = False
        for name, default in zip(fields, defaults, strict=True):
            if default is _REQUIRED and seen_default:
                raise TypeError(
                    f"{cls.__name__}: field {name!r} without a default follows one with a default"
                )
            seen_default = seen_default or default is not _REQUIRED
        for i, name in enumerate(fields):
            setattr(cls, name, property(itemgetter(i), doc=f"field {i}: {name}"))
        cls._fields, cls._defaults = fields, defaults

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__} takes {len(fields)} fields, {len(args)} given")
        values = list(args)
        for i in range(len(args), len(fields)):
            value = kwargs.pop(fields[i], cls._defaults[i])
            if value is _REQUIRED:
                raise TypeError(f"{cls.__name__} is missing the field {fields[i]!r}")
            values.append(value)
        if kwargs:
            raise TypeError(f"{cls.__name__} got unknown or repeated fields {sorted(kwargs)}")
        return tuple.__new__(cls, values)

    def __getnewargs__(self) -> tuple[Any, ...]:  # copy and pickle rebuild it through __new__
        return tuple(self)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def _replace(self, **changes: Any) -> Self:
        """A copy with the fields named in ``changes`` changed."""
        values = [changes.pop(name, value) for name, value in zip(self._fields, self, strict=True)]
        if changes:
            raise TypeError(f"{type(self).__name__} has no fields {sorted(changes)}")
        return tuple.__new__(type(self), values)
