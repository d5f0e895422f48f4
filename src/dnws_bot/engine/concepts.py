"""Find concepts (from aliases.yaml) in normalised text, in any script, with typo tolerance.

Japanese has no spaces, so Japanese forms are found as substrings; Latin forms must sit on word
boundaries so "nk" never fires inside "think". A misspelt English word ("sanctons") is corrected to
the nearest alias word within a small edit distance, but only when the word is unknown to the
whole catalogue, so real words are never "corrected".
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalize import normalize_content
from .record import record

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_KATAKANA_RUN = re.compile("[\u30a1-\u30faー]{3,}")
_KANA_FORM = re.compile("[\u3041-\u3096ー]+")
# English inflections folded onto an alias word (suffix of the typed word, ending of the stem),
# most specific first: "countries" → "country", "deterred" → "deter", "nukes" → "nuke".
_INFLECTIONS = (
    ("ies", "y"),
    ("ied", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
    ("d", ""),
    ("ly", ""),
    ("al", ""),
)
MAX_MEMO = 4096  # unknown words whose correction is remembered
MIN_KANA_SLIP = 4  # a typed katakana word this long may be corrected (ロシシア → ロシア)
# Katakana that look alike (ソ/ン, ツ/シ): a 3-character name may differ from a known one only so.
_LOOKALIKE = str.maketrans("そつ", "んし")


def katakana_runs(text: str) -> list[str]:
    """Katakana words of 3+ characters in `text` as typed (after NFKC: half-width joins in)."""
    return _KATAKANA_RUN.findall(unicodedata.normalize("NFKC", text))


def _is_latin_phrase(key: str) -> bool:
    """Only ASCII letters, digits and spaces."""
    letters = key.replace(" ", "")
    return key.isascii() and (letters.isalnum() or not letters)


def latin_words(text: str) -> list[tuple[int, int]]:
    """Spans of Latin/digit words in normalised text (word edges are script changes too)."""
    return [match.span() for match in _LATIN_WORD.finditer(text)]


@record
class Found:
    """A concept located in a text: which concept, and which characters it covered."""

    concept: str
    start: int
    end: int


class ConceptIndex:
    """Longest-match lookup of many surface forms in one pass over the text."""

    def __init__(
        self,
        groups: Mapping[str, Iterable[str]],
        known_words: Iterable[str] = (),
        extra: Iterable[tuple[str, Iterable[str]]] = (),
    ) -> None:
        """`extra` forms (readings) come after `groups`, so a written form wins a clash."""
        self._latin: dict[tuple[str, ...], str] = {}
        self._other: dict[str, str] = {}
        for concept, forms in (*groups.items(), *extra):
            for form in forms:
                key = normalize_content(form)
                if not key:
                    continue
                if _is_latin_phrase(key):
                    self._latin.setdefault(tuple(key.split()), concept)
                else:
                    self._other.setdefault(key, concept)
        self._derive(frozenset(known_words))

    def _derive(self, known_words: frozenset[str]) -> None:
        """Lookup helpers computed from the forms (cheap; not part of the cached data)."""
        self.swaps = True  # correct short acronyms by a swap of neighbours
        # The phrase lengths (in words) starting with each word, longest first: most words
        # start no phrase, and the rest try only the lengths that exist.
        sizes: dict[str, set[int]] = defaultdict(set)
        for phrase in self._latin:
            sizes[phrase[0]].add(len(phrase))
        self._word_sizes = {word: sorted(n, reverse=True) for word, n in sizes.items()}
        # Lengths of the forms that start with each character, longest first: most positions
        # in a question start no form at all, and the rest try only a few lengths.
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in self._other:
            lengths[key[0]].add(len(key))
        self._lengths = {ch: sorted(sizes, reverse=True) for ch, sizes in lengths.items()}
        # Alias words long enough to correct safely, bucketed by first letter (typos rarely hit
        # it, and each lookup stays small).
        targets: dict[str, set[str]] = defaultdict(set)
        for phrase in self._latin:
            for word in phrase:
                if len(word) >= 5 and not word.isdigit():
                    targets[word[0]].add(word)
        self._typo_targets = {first: sorted(words) for first, words in targets.items()}
        # Short acronyms (icmb, ntp) are corrected only by swapping two neighbours: same letters.
        short: dict[str, set[str]] = defaultdict(set)
        for phrase in self._latin:
            for word in phrase:
                if 3 <= len(word) < 5 and word.isalpha():
                    short["".join(sorted(word))].add(word)
        self._swap_targets = {key: sorted(words) for key, words in short.items()}
        # Kana forms (katakana names fold to hiragana): targets for katakana slips.
        kana = [key for key in self._other if len(key) >= 3 and _KANA_FORM.fullmatch(key)]
        self._kana_targets = sorted(kana)
        self._alias_words = frozenset(w for k in self._latin for w in k if w.isalpha())
        self._known = known_words | {w for k in self._latin for w in k}
        self._corrections: dict[tuple[str, bool], str | None] = {}  # memo of _correct

    def to_data(self) -> dict[str, Any]:
        """The index as JSON-ready data (for the compiled cache)."""
        return {
            "latin": {" ".join(words): concept for words, concept in self._latin.items()},
            "other": self._other,
            "known": sorted(self._known),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConceptIndex:
        """Rebuild an index from `to_data` output."""
        index = cls({})
        index._latin = {tuple(key.split(" ")): str(value) for key, value in data["latin"].items()}
        index._other = {str(key): str(value) for key, value in data["other"].items()}
        index._derive(frozenset(map(str, data["known"])))
        return index

    @property
    def latin_vocabulary(self) -> frozenset[str]:
        return self._known

    def correct_kana(self, word: str) -> str | None:
        """Nearest kana form for an unknown katakana word (normalised, so in hiragana) of 4+
        characters, within one edit (two from 8 characters), or None."""
        if word in self._other or word in self._known:
            return None
        if len(word) == 3:
            folded = word.translate(_LOOKALIKE)
            hits = [
                t for t in self._kana_targets if len(t) == 3 and t.translate(_LOOKALIKE) == folded
            ]
            return hits[0] if len(hits) == 1 else None
        if len(word) < MIN_KANA_SLIP:
            return None
        max_distance = 1 if len(word) < 8 else 2
        hit = process.extractOne(
            word, self._kana_targets, scorer=OSA.distance, score_cutoff=max_distance
        )
        return hit[0] if hit else None

    def knows(self, word: str) -> bool:
        """True when a Latin word is an alias word, or a slip or inflection of one (so "factoe"
        counts as known although "facto" alone names no concept)."""
        return word in self._known or self._correct(word) is not None

    def _inflected(self, word: str) -> str | None:
        """The alias word an unknown English word inflects ("recognises" → "recognise",
        "sanction" → "sanctions" when only the plural is listed), or None."""
        for suffix, ending in _INFLECTIONS:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: len(word) - len(suffix)] + ending
                if stem in self._alias_words:
                    return stem
        for ending in ("s", "es", "d", "ed"):
            if word + ending in self._alias_words:
                return word + ending
        return None

    def _correct(self, word: str) -> str | None:
        """`_corrected`, memoised per word (bounded: user input fills it)."""
        key = (word, self.swaps)
        if key in self._corrections:
            return self._corrections[key]
        if len(self._corrections) >= MAX_MEMO:
            self._corrections.clear()
        found = self._corrections[key] = self._corrected(word)
        return found

    def _corrected(self, word: str) -> str | None:
        """The alias word an unknown word inflects, else the nearest alias word for an unknown
        word of 5+ letters (3-4 letters: two neighbours swapped only, "icmb" → "icbm"), or None."""
        if word in self._known or word.isdigit():
            return None
        if _ELONGATED.search(word):  # "heyyy", "sooo", "pleeease": one letter typed for many
            for folded in (_ELONGATED.sub(r"\1\1", word), _ELONGATED.sub(r"\1", word)):
                if folded in self._known:
                    return folded
            word = _ELONGATED.sub(r"\1", word)
        inflected = self._inflected(word)
        if inflected is not None:
            return inflected
        if 3 <= len(word) < 5 and self.swaps:
            for target in self._swap_targets.get("".join(sorted(word)), ()):
                if OSA.distance(word, target) == 1:
                    return target
            return None
        if len(word) < 5:
            return None
        max_distance = 1 if len(word) < 8 else 2
        # OSA counts a swap of neighbours ("thnaks") as one edit, the commonest typing slip.
        hit = process.extractOne(
            word,
            self._typo_targets.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=max_distance,
        )
        return hit[0] if hit else None

    def find(self, text: str) -> list[Found]:
        """Concepts in normalised `text`, leftmost-longest, without overlaps."""
        found: list[Found] = []
        words = latin_words(text)
        # Each word is spell-corrected once, so "extended deterrance" still forms one phrase.
        known = self._known
        tokens = [
            word if word in known else self._correct(word) or word
            for word in (text[s:e] for s, e in words)
        ]
        word_at = {start: i for i, (start, _) in enumerate(words)}
        pos = 0
        while pos < len(text):
            index = word_at.get(pos)
            if index is not None:
                hit = self._match_words(tokens, words, index)
                if hit is not None:
                    found.append(hit)
                    pos = hit.end
                else:
                    pos = words[index][1]
                continue
            hit = self._match_chars(text, pos)
            if hit is not None:
                found.append(hit)
                pos = hit.end
            else:
                pos += 1
        return found

    def _match_words(
        self, all_tokens: list[str], words: list[tuple[int, int]], index: int
    ) -> Found | None:
        sizes = self._word_sizes.get(all_tokens[index])
        if sizes is None:
            return None
        tokens = all_tokens[index : index + sizes[0]]
        # Words must be consecutive (joined by one space) to form a multi-word alias.
        run = 1
        while run < len(tokens) and words[index + run][0] == words[index + run - 1][1] + 1:
            run += 1
        for size in sizes:
            if size > run:
                continue
            concept = self._latin.get(tuple(tokens[:size]))
            if concept is not None:
                return Found(concept, words[index][0], words[index + size - 1][1])
        return None

    def _match_chars(self, text: str, pos: int) -> Found | None:
        for size in self._lengths.get(text[pos], ()):
            concept = self._other.get(text[pos : pos + size])
            if concept is not None:
                return Found(concept, pos, pos + size)
        return None
