"""Questions the article does not answer although they share words with it (matching._decide).

- Small talk ("thanks", "こんにちは") is the answer only when nothing else is asked: "thanks, write
  me a poem" or "こんにちは、明日の天気は?" are not thanks or a greeting.
- Most concepts are words people use about anything ("goal", "strategy", 要件, 構造,
  "difference", "submarine"). A question naming none of the article's own subject (`topical:`
  beside content the catalogue does not know ("best strategy in poker", "ダイエットの目標") gets
  "did you mean" at most, unless it names two or more concepts that each at least
  `RESCUE_PARAPHRASES` of the top intent's paraphrases name, with at most one unknown content
  unit ("三層戦略の中身", "外交的承認 獲得"; not "what does a marketing strategy need", whose
  "need" only one paraphrase of the three-layer strategy names).
- Country names are not the subject on their own ("pakistan cricket score", "インド映画の
  おすすめ"): they answer only beside the subject or with nothing unknown ("and Pakistan?",
  "is india a dnws").
Katakana words are invisible to the coverage units (features.py), so an unknown one (カレー,
ケーキ) counts as unknown content here, one unit per word ("インドカレーとタイカレーの違い").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .concepts import ConceptIndex, katakana_runs
from .features import Analysed
from .normalize import MAX_QUESTION_CHARS, normalize

__all__ = ["CHAT", "RESCUE_PARAPHRASES", "asks_more", "foreign_katakana", "off_topic", "rescued"]

# Small talk concepts: the small-talk intents answer only when nothing else is asked.
CHAT = frozenset({"greeting", "thanks", "farewell", "bot_help"})
# An off-topic question still answers when each concept it names is named by at least this many
# of the top intent's paraphrases: a concept only one of them names is incidental to it.
RESCUE_PARAPHRASES = 2


def asks_more(analysed: Analysed, coverage: float, foreign: Callable[[], int]) -> bool:
    """Beside small talk, the question asks something: a question word (except a bare
    "really?"), a concept other than small talk, or content the catalogue does not know."""
    asked = analysed.question_words - {"whether"}
    return (
        bool(asked and "bot_help" not in analysed.concepts)
        or not analysed.concepts <= CHAT
        or coverage < 1.0
        or foreign() > 0
    )


def off_topic(
    analysed: Analysed, coverage: float, foreign: Callable[[], int], topical: frozenset[str]
) -> bool:
    """The question names no concept of the article's subject (aliases.yaml `topical:`), only
    everyday words, beside content the catalogue does not know."""
    if not analysed.concepts or analysed.concepts & topical or analysed.concepts <= CHAT:
        return False
    return coverage < 1.0 or foreign() > 0


def rescued(concepts: frozenset[str], unknown: int, naming: Callable[[str], int]) -> bool:
    """An off-topic question still answers: two or more concepts, each named by at least
    RESCUE_PARAPHRASES of the top intent's paraphrases (`naming`), beside at most one unknown
    unit."""
    return (
        len(concepts) >= 2
        and unknown <= 1
        and all(naming(c) >= RESCUE_PARAPHRASES for c in concepts)
    )


def foreign_katakana(
    typed: str, fillers: Sequence[str], concepts: ConceptIndex, paraphrase_text: str
) -> int:
    """How many katakana words (3+ characters) are not part of a filler (サクッと), name no
    concept (typos included) and are in no paraphrase: content the catalogue does not know that
    the coverage units do not see (truthy when there is any)."""
    count = 0
    for run in katakana_runs(typed[:MAX_QUESTION_CHARS]):
        norm = normalize(run)
        if any(norm in filler for filler in fillers) or concepts.correct_kana(norm):
            continue
        # What the run's concepts leave over is a word of its own: インド|カレー.
        for rest in _leftovers(norm, concepts):
            if len(rest) >= 3 and rest not in paraphrase_text:
                count += 1
    return count


def _leftovers(norm: str, concepts: ConceptIndex) -> list[str]:
    """The stretches of a katakana word (normalised) that no concept covers."""
    pieces, pos = [], 0
    for found in concepts.find(norm):
        pieces.append(norm[pos : found.start])
        pos = found.end
    pieces.append(norm[pos:])
    return [piece for piece in pieces if piece]
