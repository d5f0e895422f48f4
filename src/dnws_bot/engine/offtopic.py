"""Questions the article does not answer although they share words with it (matching._decide).

- Small talk ("thanks", "こんにちは") is the answer only when nothing else is asked: "thanks, write
  me a poem" or "こんにちは、明日の天気は?" are not thanks or a greeting.
- Most concepts are words people use about anything ("goal", "strategy", 要件, 構造,
  "difference", "submarine"). A question naming none of the article's own subject (`topical:`
  beside content the catalogue does not know ("best strategy in poker", "ダイエットの目標") gets
  "did you mean" at most, unless it names two or more concepts the top intent's paraphrases all
  name with at most one unknown content unit ("三層戦略の中身", "外交的承認 獲得").
Katakana words are invisible to the coverage units (features.py), so an unknown one (カレー,
ケーキ) counts as unknown content here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .concepts import ConceptIndex, katakana_runs
from .features import Analysed
from .normalize import MAX_QUESTION_CHARS, normalize

__all__ = ["CHAT", "asks_more", "foreign_katakana", "off_topic"]

# Small talk concepts: the small-talk intents answer only when nothing else is asked.
CHAT = frozenset({"greeting", "thanks", "farewell", "bot_help"})


def asks_more(analysed: Analysed, coverage: float, foreign: Callable[[], bool]) -> bool:
    """Beside small talk, the question asks something: a question word (except a bare
    "really?"), a concept other than small talk, or content the catalogue does not know."""
    asked = analysed.question_words - {"whether"}
    return (
        bool(asked and "bot_help" not in analysed.concepts)
        or not analysed.concepts <= CHAT
        or coverage < 1.0
        or foreign()
    )


def off_topic(
    analysed: Analysed, coverage: float, foreign: Callable[[], bool], topical: frozenset[str]
) -> bool:
    """The question names no concept of the article's subject (aliases.yaml `topical:`), only
    everyday words, beside content the catalogue does not know."""
    if not analysed.concepts or analysed.concepts & topical or analysed.concepts <= CHAT:
        return False
    return coverage < 1.0 or foreign()


def foreign_katakana(
    typed: str, fillers: Sequence[str], concepts: ConceptIndex, paraphrase_text: str
) -> bool:
    """A katakana word (3+ characters) that is not part of a filler (サクッと), is not made of
    concepts (typos included) and is in no paraphrase: content the catalogue does not know that the
    coverage units do not see."""
    for run in katakana_runs(typed[:MAX_QUESTION_CHARS]):
        norm = normalize(run)
        if any(norm in filler for filler in fillers):
            continue
        # Known when concepts cover the word (all but one character: アメリカー), not when one
        # only starts it (インドカレー is not India; features.py drops that concept too).
        covered = sum(found.end - found.start for found in concepts.find(norm))
        if len(norm) - covered < 2 or concepts.correct_kana(norm):
            continue
        if norm not in paraphrase_text:
            return True
    return False
