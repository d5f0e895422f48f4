"""`@record`: a frozen dataclass for the engine's value types, built without `exec`.

`dataclasses` compiles every generated method from source when a class is defined (about half a
millisecond a class) and imports `inspect` (several more): together more than a warm
`dnws-bot ask` spends answering. A record gets what the engine uses of `@dataclass(frozen=True)`:

- the constructor: positional or keyword arguments in field order, defaults,
  `field(default_factory=...)`, `field(init=False)` set in `__post_init__`;
- read-only attributes (assigning raises `FrozenInstanceError`, an AttributeError);
  `functools.cached_property` still works (a record has a `__dict__`);
- equality and hashing over the fields, a dataclass-style repr, `replace(obj, **changes)`.

No inheritance between records, no ClassVar or InitVar fields. Type checkers see a frozen
dataclass (PEP 681).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """An attempt to assign to or delete a record's attribute."""


class _Field:
    __slots__ = ("default", "factory", "init", "repr")

    def __init__(
        self, default: Any, factory: Callable[[], Any] | None, init: bool, repr: bool
    ) -> None:
        self.default, self.factory, self.init, self.repr = default, factory, init, repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    init: bool = True,
    repr: bool = True,
) -> Any:
    """A field's default or factory, `init=False` for a field `__post_init__` sets, or
    `repr=False` for one the repr must not show (a secret)."""
    return _Field(default, default_factory, init, repr)


def _frozen(self: object, name: str, value: Any = None) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """Make `cls` a frozen record of its annotated fields (see the module docstring)."""
    names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 (no inspect here)
    specs: dict[str, _Field] = {}
    for name in names:
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, _Field) else _Field(value, None, True, True)
        specs[name] = spec
        if isinstance(value, _Field):
            delattr(cls, name)  # as dataclasses: a plain default stays a class attribute
    params = tuple(name for name in names if specs[name].init)
    everything = frozenset(params)
    later = tuple(
        (name, spec.factory) for name, spec in specs.items() if not spec.init and spec.factory
    )
    shown = tuple(name for name in names if specs[name].repr)
    post_init = getattr(cls, "__post_init__", None)
    title = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not kwargs and len(args) == len(params):  # every field given: kept quick
            self.__dict__.update(zip(params, args, strict=True))
        elif not args and kwargs.keys() == everything:
            self.__dict__.update(kwargs)
        else:
            self.__dict__.update(_arguments(args, kwargs))
        for name, factory in later:
            self.__dict__[name] = factory()
        if post_init is not None:
            post_init(self)

    def _arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if len(args) > len(params):
            raise TypeError(f"{title}() takes {len(params)} arguments, {len(args)} given")
        values = dict(zip(params, args, strict=False))
        for key, value in kwargs.items():
            if key not in specs or not specs[key].init or key in values:
                raise TypeError(f"{title}() got an unexpected or repeated argument {key!r}")
            values[key] = value
        for name in params[len(args) :]:
            if name not in values:
                spec = specs[name]
                if spec.factory is not None:
                    values[name] = spec.factory()
                elif spec.default is not _MISSING:
                    values[name] = spec.default
                else:
                    raise TypeError(f"{title}() missing argument {name!r}")
        return values

    def astuple(self: Any) -> tuple[Any, ...]:
        fields = self.__dict__
        return tuple(fields[name] for name in names if name in fields)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(astuple(self) == astuple(other))

    def __hash__(self: Any) -> int:
        return hash(astuple(self))

    def __repr__(self: Any) -> str:
        fields = self.__dict__
        parts = ", ".join(f"{name}={fields[name]!r}" for name in shown if name in fields)
        return f"{title}({parts})"

    target: Any = cls  # methods are set on the class as dataclasses does
    target.__init__, target.__eq__, target.__hash__ = __init__, __eq__, __hash__
    target.__repr__, target.__setattr__, target.__delattr__ = __repr__, _frozen, _frozen
    target.__record_fields__ = params
    return cls


def replace(obj: T, **changes: Any) -> T:
    """A copy of a record with some fields changed (as `dataclasses.replace`)."""
    kind: Any = type(obj)
    values = {name: getattr(obj, name) for name in kind.__record_fields__}
    values.update(changes)
    made: T = kind(**values)
    return made
