"""The catalogue's vocabulary for the analyser: concept forms with the readings of their kanji,
fillers, and the Latin and katakana words a slip correction must never "correct"."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import reading
from .catalogue import Catalogue
from .concepts import ConceptIndex, katakana_runs, latin_words
from .features import Analyser, concept_groups, filler_forms
from .normalize import normalize_content
from .reading import Readings


def _vocabulary(catalogue: Catalogue) -> set[str]:
    """Latin words and katakana words of the catalogue: never "corrected" as slips."""
    words: set[str] = set()
    for intent in catalogue.intents:
        texts = (*intent.paraphrases["en"], *intent.paraphrases["ja"], intent.answer.en)
        for text in (*texts, intent.title.en, intent.answer.ja, intent.title.ja):
            norm = normalize_content(text)
            words.update(norm[s:e] for s, e in latin_words(norm))
            words.update(normalize_content(run) for run in katakana_runs(text))
    return words


@lru_cache(maxsize=1)
def _memo(directory: Path, version: str) -> reading.Memo:
    """The readings memo, read once per build (both readings tables use it). The catalogue's
    version hashes the memo file too, so an edited memo is read again."""
    return reading.load_memo(directory)


def japanese_texts(catalogue: Catalogue) -> list[str]:
    """The catalogue's Japanese wording whose words a question may mistype."""
    return [p for intent in catalogue.intents for p in intent.paraphrases["ja"]]


def build_readings(catalogue: Catalogue, reading_layer: bool = True) -> Readings:
    """Readings of the catalogue's kanji (imports the Japanese analyser: build time only)."""
    if not reading_layer:
        return reading.EMPTY
    memo = _memo(catalogue.directory, catalogue.version)
    return reading.build_readings(
        concept_groups(catalogue.aliases), japanese_texts(catalogue), memo
    )


def paraphrase_readings(catalogue: Catalogue) -> dict[str, str]:
    """Each Japanese paraphrase with kanji, read (from the memo; no analyser when it is whole)."""
    memo = _memo(catalogue.directory, catalogue.version)
    return {
        text: normalize_content(reading.read_text(text, memo))
        for text in japanese_texts(catalogue)
        if reading.has_kanji(text)
    }


def memo_texts(catalogue: Catalogue) -> list[str]:
    """Every text `build_readings` reads: kanji alias forms and Japanese paraphrases."""
    forms = [f for forms in concept_groups(catalogue.aliases).values() for f in forms]
    return [f for f in forms if reading.has_kanji(f)] + japanese_texts(catalogue)


def build_analyser(
    catalogue: Catalogue, readings: Readings = reading.EMPTY, reading_layer: bool = True
) -> Analyser:
    """The catalogue's concept index, fillers and stopwords, ready to analyse text. Readings
    of kanji forms join their concepts after the written forms (which win any clash)."""
    groups = concept_groups(catalogue.aliases)
    spoken = [(concept, (form,)) for form, concept in readings.forms.items()]
    # Stopwords are real words too: "thing" is never "corrected" to the alias word "think".
    index = ConceptIndex(groups, _vocabulary(catalogue) | catalogue.stopwords, spoken)
    return Analyser(index, filler_forms(catalogue.aliases), catalogue.stopwords, reading_layer)


if __name__ == "__main__":  # python -m dnws_bot.engine.vocabulary [intents directory]
    import sys
    from pathlib import Path

    from . import default_intents_dir
    from .loader import load_catalogue

    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else default_intents_dir()
    memo = reading.memo_text(memo_texts(load_catalogue(directory)))
    (directory / reading.MEMO_FILE).write_text(memo, encoding="utf-8")
