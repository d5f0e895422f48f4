"""Text features the matcher scores: a question normalised once, then its concepts, question
words, character n-grams and coverage units.

Character n-grams need no tokenizer for Japanese and forgive small wording changes. Concepts
(aliases.yaml) put 制裁, せいさい and "sanctions" on one id. Coverage units are the content words
the catalogue must know for a question to be in scope (see matching.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .catalogue import Aliases
from .concepts import ConceptIndex, Found, katakana_runs, latin_words
from .language import LANGS, Lang, detect_language
from .normalize import MAX_QUESTION_CHARS, normalize, normalize_content
from .record import record

# Concepts that name a position in a list (ordinals.py reads them; scoring does not).
POSITION_CONCEPTS = frozenset(
    {"ordinal_first", "ordinal_second", "ordinal_third", "ordinal_fourth"}
)

_JAPANESE_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]+")
# A katakana word as typed, after NFKC (half-width katakana join in): a letter, then letters or ー.
_KATAKANA_WORD = re.compile("[\u30a1-\u30fa][\u30a1-\u30faー]+")
_KANJI_FLOOR = "\u3400"  # CJK ideographs sort above every kana
# Concepts (aliases.yaml) that are only politeness when the question names anything else.
_SALUTATIONS = frozenset({"greeting", "thanks"})
# A space between two Japanese characters is a typing habit (かくだい よくし), not a boundary.
_JAPANESE_SPACE = re.compile(
    "(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005]) "
    "(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005])"
)


def grams(text: str, stopwords: frozenset[str]) -> set[str]:
    """Character bigrams within Japanese runs, plus Latin words and their trigrams."""
    found: set[str] = set()
    for start, end in latin_words(text):
        word = text[start:end]
        if word in stopwords:
            continue
        found.update(_word_grams(word))
    for run in _JAPANESE_RUN.findall(text):
        found.update(run[i : i + 2] for i in range(len(run) - 1))
        found.update(ch for ch in run if ch >= _KANJI_FLOOR)  # kanji carry meaning alone
    return found


@lru_cache(maxsize=4096)
def _word_grams(word: str) -> tuple[str, ...]:
    """A Latin word and its trigrams with edge marks ("<np", "npt", "pt>"), in that order."""
    padded = f"<{word}>"
    return (word, *(padded[i : i + 3] for i in range(len(padded) - 2)))


def katakana_words(text: str) -> frozenset[str]:
    """Katakana words (2+ characters) of `text` as typed, in comparison form (hiragana)."""
    typed = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 2])
    return frozenset(normalize(word) for word in _KATAKANA_WORD.findall(typed))


def _cut_outside(text: str, filler: str, words: frozenset[str]) -> str:
    """`text` with each occurrence of a Japanese `filler` blanked out, unless it overlaps one of
    `words` without covering it whole (えっと inside だいえっと stays; さくっと over さくっ goes).
    Blanks keep positions, so the spans found first stay valid."""
    spans = [(start, start + len(word)) for word in words for start in _occurrences(text, word)]
    out = text
    for start in _occurrences(text, filler):
        end = start + len(filler)
        if any(s < end and start < e and not (start <= s and e <= end) for s, e in spans):
            continue
        out = out[:start] + " " * len(filler) + out[end:]
    return out


def _whole_katakana_words(content: str, found: list[Found], words: frozenset[str]) -> list[Found]:
    """`found` without the concepts that are only part of a longer katakana word (インド in
    インドネシア or インドカレー, ロシア in ロシアンルーレット): the word means something else. A
    word the concepts cover but for one character (インドパキスタン, アメリカー) keeps them."""
    dropped: set[int] = set()
    for word in words:
        for start in _occurrences(content, word):
            end = start + len(word)
            inside = [i for i, f in enumerate(found) if start <= f.start and f.end <= end]
            covered = sum(found[i].end - found[i].start for i in inside)
            if inside and len(word) - covered >= 2:
                dropped.update(inside)
    return [f for i, f in enumerate(found) if i not in dropped] if dropped else found


def _occurrences(text: str, part: str) -> list[int]:
    """Start of each non-overlapping occurrence of `part` in `text`."""
    found, start = [], text.find(part)
    while start != -1:
        found.append(start)
        start = text.find(part, start + len(part))
    return found


def coverage_units(text: str, stopwords: frozenset[str]) -> list[str]:
    """Content units for the coverage check: Latin content words and kanji-bearing bigrams."""
    units = [
        word
        for word in (text[s:e] for s, e in latin_words(text))
        if word not in stopwords and (len(word) > 1 or word.isdigit())
    ]
    for run in _JAPANESE_RUN.findall(text):
        units.extend(
            run[i : i + 2]
            for i in range(len(run) - 1)
            if run[i] >= _KANJI_FLOOR or run[i + 1] >= _KANJI_FLOOR
        )
    return units


@record
class Analysed:
    """A normalised text split into what the scorers need."""

    content: str  # normalised, fillers and question words removed
    concepts: frozenset[str]
    question_words: frozenset[str]
    grams: frozenset[str]
    coverage_units: tuple[str, ...]

    @property
    def features(self) -> frozenset[str]:
        """Concepts plus question words ("?why"), the language-free view of the text. Ordinals
        are left out: "first" is evidence of a position (ordinals.py), not of a topic, and as a
        feature it pulled "first of all, what is a DNWS?" to the first requirement."""
        return (self.concepts - POSITION_CONCEPTS) | {f"?{q}" for q in self.question_words}


@record
class Question:
    """One incoming question, normalised and analysed once and passed along from there."""

    text: str  # as typed
    norm: str  # comparison form (normalize)
    lang: Lang  # the script it is written in
    analysed: Analysed


def concept_groups(aliases: Aliases) -> dict[str, tuple[str, ...]]:
    """Concepts and question words ("?why") in one table: each text is scanned once."""
    groups = dict(aliases.concepts)
    groups.update({f"?{name}": forms for name, forms in aliases.question_words.items()})
    return groups


def filler_forms(aliases: Aliases) -> list[str]:
    """Filler phrases in comparison form, longest first."""
    forms = {normalize_content(f) for lang in LANGS for f in aliases.fillers[lang]}
    return sorted(sorted(forms - {""}), key=len, reverse=True)


class Analyser:
    """Turns text into `Analysed` features with one catalogue's concepts, fillers and stopwords."""

    def __init__(
        self,
        concepts: ConceptIndex,
        fillers: list[str],
        stopwords: frozenset[str],
        reading_layer: bool = True,
    ):
        self.concepts = concepts
        self.fillers = fillers
        self.stopwords = stopwords
        # Off only to measure what the reading layer adds (bench): no katakana/acronym slip
        # correction, spaces between Japanese words kept.
        self.reading_layer = reading_layer
        concepts.swaps = reading_layer

    def _strip_fillers(self, text: str, words: frozenset[str] = frozenset()) -> str:
        """`text` without its fillers. A Latin filler goes as a whole word; a Japanese one as a
        substring, except where it would cut into one of `words` (えっと in ダイエット)."""
        for filler in self.fillers:
            if filler in text:
                if all(c.isascii() for c in filler):
                    text = f" {text} ".replace(f" {filler} ", " ").strip()
                elif words:
                    text = _cut_outside(text, filler, words)
                else:
                    text = text.replace(filler, " ")
        return " ".join(text.split())

    def question(self, text: str) -> Question:
        """Normalise and analyse a question once; a mistyped katakana name (パキスタソ) is read
        as the nearest name the catalogue knows."""
        norm = normalize(text)
        analysed_norm, words = norm, katakana_words(text)
        for run in katakana_runs(text[: MAX_QUESTION_CHARS * 2]) if self.reading_layer else ():
            typed = normalize(run)
            corrected = self.concepts.correct_kana(typed)
            if corrected is not None:
                analysed_norm = analysed_norm.replace(typed, corrected, 1)
                words |= {corrected}
        return Question(
            text, norm, detect_language(text), self.analyse_normalised(analysed_norm, words)
        )

    def analyse(self, text: str) -> Analysed:
        """Normalise a text and extract concepts, question words, grams and coverage units."""
        return self.analyse_normalised(normalize(text), katakana_words(text))

    def analyse_normalised(self, norm: str, words: frozenset[str] = frozenset()) -> Analysed:
        """As `analyse`, for text already in comparison form; `words` are the katakana words
        of the text as typed (comparison form), which filler removal must not cut."""
        if self.reading_layer:
            norm = _JAPANESE_SPACE.sub("", norm)
        content = self._strip_fillers(norm, words)
        found = self.concepts.find(content)
        if words:
            found = _whole_katakana_words(content, found, words)
        if any(f.concept not in _SALUTATIONS and f.concept[0] != "?" for f in found):
            # "hey bot, what is DNWS": a greeting or thanks beside a real question is politeness,
            # not what the question is about.
            for hit in reversed([f for f in found if f.concept in _SALUTATIONS]):
                content = content[: hit.start] + " " * (hit.end - hit.start) + content[hit.end :]
            found = [f for f in found if f.concept not in _SALUTATIONS]
        concepts = frozenset(f.concept for f in found if f.concept[0] != "?")
        question_words = frozenset(f.concept[1:] for f in found if f.concept[0] == "?")
        # Question words leave the text used for n-grams (they are features of their own).
        for hit in reversed(found):
            if hit.concept[0] == "?":
                content = content[: hit.start] + " " + content[hit.end :]
        content = " ".join(content.split())
        return Analysed(
            content=content,
            concepts=concepts,
            question_words=question_words,
            grams=frozenset(grams(content, self.stopwords)),
            coverage_units=tuple(coverage_units(content, self.stopwords)),
        )
