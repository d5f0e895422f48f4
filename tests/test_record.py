"""`@record` (engine/record.py): the frozen value types the engine and settings are made of."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import pytest

from dnws_bot.engine.catalogue import Text
from dnws_bot.engine.record import FrozenInstanceError, field, record, replace
from dnws_bot.settings import Settings


@record
class Point:
    """A record with a required field, a plain default, a factory and a derived field."""

    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    secret: str = field(default="", repr=False)
    total: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", self.x + self.y)

    @cached_property
    def doubled(self) -> int:
        return 2 * self.total


@record
class Other:
    """Same fields as Point's first two, another type."""

    x: int
    y: int = 0


def test_constructor_takes_positions_keywords_defaults_and_factories() -> None:
    """Arguments go to fields in order or by name; defaults fill the rest, each factory anew."""
    a, b = Point(1), Point(x=1, y=2, tags=["t"])
    assert (a.x, a.y, a.tags, a.total) == (1, 0, [], 1)
    assert (b.x, b.y, b.tags, b.total) == (1, 2, ["t"], 3)
    assert Point(1).tags is not Point(1).tags


@pytest.mark.parametrize(
    "args, kwargs",
    [((), {}), ((1, 2, [], "", 9), {}), ((1,), {"x": 1}), ((1,), {"total": 3}), ((1,), {"z": 0})],
)
def test_constructor_refuses_wrong_arguments(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    """A missing, surplus, repeated, derived or unknown argument is a TypeError."""
    with pytest.raises(TypeError):
        Point(*args, **kwargs)  # type: ignore[arg-type]


def test_records_are_frozen_but_cache_properties() -> None:
    """Assigning or deleting a field fails; a cached_property still computes once."""
    point = Point(2, 3)
    with pytest.raises(FrozenInstanceError):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del point.y  # type: ignore[misc]
    assert point.doubled == 10 and point.x == 2


def test_equality_and_hash_follow_the_fields_and_the_type() -> None:
    """Equal fields make equal records with equal hashes; another type never compares equal."""
    assert Text("a", "b") == Text("a", "b") and hash(Text("a", "b")) == hash(Text("a", "b"))
    assert Text("a", "b") != Text("a", "c")
    assert Other(1, 2) != Point(1, 2)
    assert len({Other(1), Other(1), Other(2)}) == 2


def test_repr_names_the_fields_and_hides_secrets() -> None:
    """The repr reads like a dataclass's, without fields marked repr=False (a bot token)."""
    assert repr(Other(1, 2)) == "Other(x=1, y=2)"
    assert "hidden" not in repr(Point(1, secret="hidden"))
    assert "123456789:" not in repr(Settings(token="123456789:" + "A" * 35))


def test_replace_copies_with_changes() -> None:
    """replace() returns a new record with the changed fields, derived fields recomputed."""
    point = Point(1, 2, ["t"])
    moved = replace(point, y=5)
    assert (moved.x, moved.y, moved.tags, moved.total) == (1, 5, ["t"], 6)
    assert point.y == 2
    mapping: Mapping[str, int] = {"a": 1}
    assert replace(Other(1), y=len(mapping)) == Other(1, 1)
