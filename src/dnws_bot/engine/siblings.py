"""Siblings: intents too close to call that the question's own words tell apart.

Siblings share a concept (sanctions, deterrence, recognition) and differ by one that is central
to one of them (named by at least `central` of its paraphrases) and all but absent from the other
(`ratio` of that share or less): evasion, endurance, "extended". The intent whose telling concept
the question names, naming none of the others', is the one asked about (matching._siblings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def telling_sibling(
    named: frozenset[str], shares: Sequence[Mapping[str, float]], central: float, ratio: float
) -> int | None:
    """The index of the one close intent the question's concepts (`named`) point to, or None
    (still "did you mean"); `shares` are each close intent's concept shares, best first."""
    if len(shares) < 2:
        return None

    def telling(mine: Mapping[str, float], other: Mapping[str, float]) -> set[str]:
        return {
            concept
            for concept, share in mine.items()
            if concept[0] != "?" and share >= central and other.get(concept, 0.0) <= ratio * share
        }

    def beats(a: int, b: int) -> bool:
        theirs = telling(shares[b], shares[a])
        return not theirs & named and bool(telling(shares[a], shares[b]) & named)

    for a in range(len(shares)):
        if all(beats(a, b) for b in range(len(shares)) if b != a):
            return a
    return None
