"""One-kanji slips: 制栽 for 制裁, 北朝選 for 北朝鮮, 運般 for 運搬 (matching.match, after readings).

An IME offers several kanji for one sound, and a tired thumb picks the neighbour. When the
analyser's reading of such a word misses too (its small dictionary reads 栽 as 栽 and 北朝 as
ほくちょう), the word is still one kanji away from a catalogue word. A run of kanji the catalogue
does not know is read as the one catalogue word of the same length that differs from it in
exactly one kanji, unless that kanji sits in a word of the analyser's dictionary (運動, 該当 are
words, not slips); two or more such catalogue words (結諭: 結論 or 結局?) are not guessed. As with
homophones, the matcher keeps the repaired question only if it then answers confidently with an
intent the first pass already ranked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .normalize import normalize

_KANJI_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
MAX_WORD = 6  # longest catalogue word considered (常任理事国 is 5)


class Shapes:
    """The catalogue's kanji words by shape: length, position and the other kanji."""

    def __init__(self, words: Iterable[str]) -> None:
        self.by_shape: dict[tuple[int, str], set[str]] = {}
        for word in words:
            if 2 <= len(word) <= MAX_WORD and _KANJI_RUN.fullmatch(word):
                for i in range(len(word)):
                    self.by_shape.setdefault((i, word[:i] + "_" + word[i + 1 :]), set()).add(word)

    def nearest(self, unknown: str) -> tuple[str, int] | None:
        """The one catalogue word one kanji away from `unknown` and the changed position, if
        there is exactly one."""
        found: dict[str, int] = {}
        for i in range(len(unknown)):
            for word in self.by_shape.get((i, unknown[:i] + "_" + unknown[i + 1 :]), ()):
                if word != unknown:
                    found[word] = i
        return next(iter(found.items())) if len(found) == 1 else None


def repair(
    text: str,
    shapes: Shapes,
    is_unknown: Callable[[str], bool],
    in_word: Callable[[str, int], bool],
) -> str | None:
    """`text` with each unknown stretch of kanji (longest first inside a run) that is one kanji
    away from exactly one catalogue word replaced by that word, or None when nothing was.
    `in_word(piece, i)` says the kanji at i belongs to a real word (reading.in_dictionary_word)."""
    norm = normalize(text)
    out: list[str] = []
    position, changed = 0, False
    for run in _KANJI_RUN.finditer(norm):
        out.append(norm[position : run.start()])
        position = run.start()
        while position < run.end():
            for end in range(min(run.end(), position + MAX_WORD), position + 1, -1):
                piece = norm[position:end]
                near = shapes.nearest(piece) if is_unknown(piece) else None
                if near is not None and not in_word(piece, near[1]):
                    out.append(near[0])
                    position, changed = end, True
                    break
            else:
                out.append(norm[position])
                position += 1
    out.append(norm[position:])
    return "".join(out) if changed else None
