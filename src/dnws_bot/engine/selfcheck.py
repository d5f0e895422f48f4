"""`dnws-bot validate`'s last check: the catalogue asked its own paraphrases.

An intent that its own wording does not reach (its words name no concept of aliases.yaml, or a
neighbour claims them) would never be answered, though every file is well-formed. Asking each
paraphrase takes about a second for the whole catalogue. A not-covered topic whose form catches one
of the catalogue's paraphrases is also found here, not on every load (a catalogue-wide scan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .catalogue import Catalogue, Intent, Problem
from .language import LANGS
from .loader_support import NOT_COVERED_FILE
from .matching import MatchResult
from .normalize import normalize_content
from .scope import Scope

# Share of an intent's own paraphrases that must come back as its answer: today's floor (rounded
# down from the shipped catalogue); `validate --strict` demands every one.
# issue 8 target: 1.0
MIN_OWN_PARAPHRASES_ANSWERED = 0.80


@dataclass(frozen=True)
class ParaphraseMiss:
    """A paraphrase that does not come back as its own intent's answer, located in its file."""

    intent: Intent
    paraphrase: str
    line: int
    result: MatchResult

    def problem(self) -> Problem:
        top = ", ".join(f"{c.intent_id}:{c.score:.2f}" for c in self.result.candidates[:2])
        got = self.result.reason or self.result.status
        message = f"paraphrase {self.paraphrase!r} comes back as {got} ({top or 'no candidate'})"
        return Problem(self.intent.file, self.line, self.intent.id, message)


def _paraphrase_line(lines: list[str], start: int, paraphrase: str) -> int:
    """The first line at or after the intent's own that holds the paraphrase."""
    for number in range(max(start, 1), len(lines) + 1):
        if paraphrase in lines[number - 1]:
            return number
    return start


def own_paraphrase_misses(
    catalogue: Catalogue, match: Callable[[str], MatchResult]
) -> tuple[list[ParaphraseMiss], dict[str, float]]:
    """Every paraphrase whose match is not `answer` with its own intent, and each intent's share
    of paraphrases that do come back."""
    misses: list[ParaphraseMiss] = []
    shares: dict[str, float] = {}
    files: dict[str, list[str]] = {}
    for intent in catalogue.intents:
        total = missed = 0
        for lang in LANGS:
            for paraphrase in intent.paraphrases[lang]:
                total += 1
                result = match(paraphrase)
                if result.status == "answer" and result.intent_id == intent.id:
                    continue
                missed += 1
                if intent.file not in files:
                    path = catalogue.directory / intent.file
                    files[intent.file] = path.read_text(encoding="utf-8").splitlines()
                line = _paraphrase_line(files[intent.file], intent.line, paraphrase)
                misses.append(ParaphraseMiss(intent, paraphrase, line, result))
        shares[intent.id] = (total - missed) / total if total else 1.0
    return misses, shares


def not_covered_catches(catalogue: Catalogue) -> list[Problem]:
    """Each not-covered form (or combo) that catches one of the catalogue's own paraphrases,
    located at the topic's line in not_covered.yaml and naming the intent's file:line."""
    problems: list[Problem] = []
    topics = catalogue.not_covered
    for intent in catalogue.intents:
        for lang in LANGS:
            for paraphrase in intent.paraphrases[lang]:
                norm = normalize_content(paraphrase)
                unspaced = norm.replace(" ", "")
                for topic in topics:
                    form = Scope.hit(topic, norm, unspaced)
                    if form is not None:
                        message = (
                            f"form {form!r} catches paraphrase {paraphrase!r} "
                            f"of {intent.id} ({intent.file}:{intent.line})"
                        )
                        problems.append(Problem(NOT_COVERED_FILE, topic.line, topic.id, message))
    return problems
