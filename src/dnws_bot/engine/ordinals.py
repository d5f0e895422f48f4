"""Numbered lists: "the second obstacle", "米韓の第三原則", "4つ目の条件" name one part by position.

The article enumerates its requirements, obstacles and principles, and readers refer to them by
number. To a bag-of-words matcher "second" and "obstacle" say little (the overview mentions both
most often), so the map in sections.yaml carries the order (an entry's parts) and, under
`numbered:`, the concepts that name one item. A question with one ordinal and one list's item
word means that list's part; a short follow-up with an ordinal alone ("2つ目は?", "and the
third?") means the part of the list the previous answer belongs to.
"""

from __future__ import annotations

import re

from .catalogue import Catalogue, MapEntry

# Ordinal concepts in aliases.yaml and the position each names (1-based); the matcher does not
# score them (features.POSITION_CONCEPTS).
POSITIONS = {"ordinal_first": 1, "ordinal_second": 2, "ordinal_third": 3, "ordinal_fourth": 4}
# "3つ目", "4番目": a digit is a word of its own to the concept finder ("3" is the concept three),
# so digit ordinals are read from the normalised text.
_DIGIT_ORDINAL = re.compile(r"(?<![0-9])([1-4])(?:つ目|個目|番目|こめ|ばんめ)")


def _list_of(intent_id: str | None, lists: list[MapEntry]) -> MapEntry | None:
    return next((e for e in lists if intent_id in (e.intent, *e.parts)), None)


def numbered_part(
    norm: str,
    concepts: frozenset[str],
    catalogue: Catalogue,
    ranked_first: str | None,
    previous: str | None = None,
) -> str | None:
    """The list part a question names by position, or None.

    A question naming a list's item ("the second obstacle") counts only when the matcher alone
    ranks that list's overview or one of its parts first, so "the first condition for sanctions
    relief" is not read as the first requirement. `previous` is the last answer's intent, given
    for short follow-ups only: "2つ目は?" after the obstacles means the second obstacle.
    """
    positions = {POSITIONS[c] for c in concepts if c in POSITIONS}
    positions |= {int(digit) for digit in _DIGIT_ORDINAL.findall(norm)}
    if len(positions) != 1:
        return None
    (position,) = positions
    lists = [entry for entry in catalogue.study.article_map if entry.items]
    named = [entry for entry in lists if concepts & set(entry.items)]
    if len(named) == 1:
        entry = _list_of(ranked_first, named)
    else:
        entry = None if named else _list_of(previous, lists)
    if entry is None or position > len(entry.parts):
        return None
    return entry.parts[position - 1]
