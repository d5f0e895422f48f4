"""What the article does not cover: find a question's focus among intents/not_covered.yaml.

Near-domain questions share the article's concepts (北朝鮮, ICBM, 核実験), so the matcher alone
scores them like in-scope ones; what marks them is their focus (射程, 何発, 年齢, Iran). A topic's
forms are such foci; a combo is a focus only when a form of every one of its groups is present
("how many" + warheads). Japanese forms are found in the question with its spaces removed (people
space hiragana freely), Latin forms as whole words or phrases. Pure and cheap: a few hundred
substring tests per question, no YAML, run before any answer is given.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalogue import Topic

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _has_word(haystack: str, form: str) -> bool:
    """True when a Latin form occurs in the text not glued to other Latin letters or digits."""
    start = haystack.find(form)
    while start >= 0:
        end = start + len(form)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if before not in _WORD_CHARS and after not in _WORD_CHARS:
            return True
        start = haystack.find(form, start + 1)
    return False


def _contains(norm: str, unspaced: str, form: str) -> bool:
    return _has_word(norm, form) if form.isascii() else form.replace(" ", "") in unspaced


class Scope:
    """The not-covered topics of one catalogue, ready to test questions against."""

    def __init__(self, topics: Iterable[Topic]) -> None:
        self.topics = tuple(topics)

    def focus(self, norm: str) -> Topic | None:
        """The first topic whose form (or complete combo) the normalised question contains."""
        if not norm:
            return None
        unspaced = norm.replace(" ", "")
        for topic in self.topics:
            if self.hit(topic, norm, unspaced) is not None:
                return topic
        return None

    @staticmethod
    def hit(topic: Topic, norm: str, unspaced: str | None = None) -> str | None:
        """The form (or combo, joined with "+") of `topic` found in the question, if any."""
        unspaced = norm.replace(" ", "") if unspaced is None else unspaced
        for form in topic.forms:
            if _contains(norm, unspaced, form):
                return form
        for combo in topic.combos:
            found = [
                next((f for f in group if _contains(norm, unspaced, f)), None) for group in combo
            ]
            if all(f is not None for f in found):
                return "+".join(f for f in found if f is not None)
        return None
