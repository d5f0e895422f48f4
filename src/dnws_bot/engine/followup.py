"""Short follow-ups ("why?", "例は?", "and Pakistan?") resolved against the previous answer.

A study group asks in turns; repeating the whole question is tedious. Only SHORT questions are
treated as follow-ups, and only when the adapter passes the previous intent (it keeps that for a
few minutes per chat, per user in groups). A follow-up either names a cue, or swaps an entity
("and Pakistan?"), which is matched normally but resolved within the previous intent's
neighbourhood. "why?" and "example?" go where the previous intent's `followups:` says (the
article's own reason or example); when it names none, the answer is that the article gives no
more on that point — never the next related topic, which would answer a question nobody asked.
"more" walks the `related` list.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import Catalogue, Intent
from .concepts import latin_words
from .features import Question
from .matching import Matcher, MatchResult
from .normalize import normalize_content

# Longest text still read as a follow-up: a few words, never a full question.
MAX_FOLLOWUP_CHARS = 24
MAX_FOLLOWUP_WORDS = 4
MAX_SWAP_CHARS = 10
MAX_SWAP_WORDS = 2
# The swapped-to intent must really be about what the question names (share of paraphrases).
MIN_SHARE = 0.2
MAX_OFFER = 3


@dataclass(frozen=True)
class Resolved:
    """A follow-up's verdict: the intent it leads to, or None when the article has no more
    (then `offer` lists related intents to show instead)."""

    intent_id: str | None
    offer: tuple[str, ...] = ()


# Words that may surround a cue without changing it ("why tho", "more pls", "詳しく教えて").
_NOISE_WORDS = frozenset(
    {"and", "so", "but", "ok", "okay", "tho", "though", "then", "pls", "please", "any", "some"}
)
_PARTICLES = "はもってのをねよかな"
# Japanese words that may stand beside a cue without changing it ("例えばどこ?", "例とかある?").
_JA_NOISE = ("どこ", "どれ", "あるの", "ある", "とか", "なに", "何")


class Cues:
    """Follow-up cue forms and filler phrases in comparison form, prepared once per catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        forms = {
            (normalize_content(form), cue)
            for cue, items in catalogue.aliases.followups.items()
            for form in items
        }
        self.forms = sorted((pair for pair in forms if pair[0]), key=lambda p: -len(p[0]))
        fillers = {
            normalize_content(f) for lang in ("ja", "en") for f in catalogue.aliases.fillers[lang]
        }
        self.ja_fillers = sorted(
            (f for f in fillers if f and not f.isascii()), key=len, reverse=True
        )
        self.en_fillers = frozenset(f for f in fillers if f.isascii())

    def _is_noise(self, rest: str) -> bool:
        """True when what is left of a short text after removing its cue says nothing more."""
        for filler in (*self.ja_fillers, *_JA_NOISE):
            rest = rest.replace(filler, " ")
        words = [w for w in rest.split() if w not in _NOISE_WORDS]
        return all(w in self.en_fillers or not w.strip(_PARTICLES) for w in words)

    def cue(self, text: str) -> str | None:
        """The follow-up cue a short normalised text consists of (why / more / example)."""
        padded = f" {text} "
        for form, cue in self.forms:
            needle = f" {form} " if form.isascii() else form
            if needle in padded and self._is_noise(padded.replace(needle, " ", 1)):
                return cue
        return None


def _deeper(previous: Intent, cue: str, catalogue: Catalogue) -> Resolved | None:
    """Where a cue leads: the intent's own why/example target, else "no more" with its related
    intents; "more" walks `related`, never back up to the previous intent's own overview."""
    related = [i for i in previous.related if i in catalogue.by_id]
    if cue in ("why", "example"):
        target = previous.followups.get(cue)
        if target in catalogue.by_id:
            return Resolved(target)
        return Resolved(None, tuple(related[:MAX_OFFER]))
    own_overview = f"{previous.category}.overview"
    deeper = [i for i in related if i != own_overview]
    return Resolved(deeper[0]) if deeper else None


def is_swap_sized(norm: str) -> bool:
    """Entity swaps are tiny: "and pakistan?", "北朝鮮の場合は?", "what about nk" (normalised)."""
    words = [w for w in norm.split() if w not in ("and", "what", "about", "how")]
    return len(norm) <= MAX_SWAP_CHARS if not norm.isascii() else len(words) <= MAX_SWAP_WORDS


def is_short(norm: str) -> bool:
    """Short enough (normalised) to be read as a follow-up."""
    return 0 < len(norm) <= MAX_FOLLOWUP_CHARS and len(latin_words(norm)) <= MAX_FOLLOWUP_WORDS


def resolve_followup(
    question: Question, previous_id: str, matcher: Matcher, cues: Cues, standalone: MatchResult
) -> Resolved | None:
    """What a short follow-up refers to, or None to keep `standalone` (the question alone)."""
    catalogue = matcher.catalogue
    previous = catalogue.by_id.get(previous_id)
    if previous is None or not is_short(question.norm):
        return None
    cue = cues.cue(question.norm)
    if cue is not None:
        return _deeper(previous, cue, catalogue)
    if standalone.status == "answer":
        return None  # a complete question of its own ("what is the npt")
    # An entity swap ("and north korea?"): read the question with the previous topic beside it,
    # and take the best intent other than the previous one that stays near that topic.
    concepts = question.analysed.concepts
    if not concepts or not is_swap_sized(question.norm):
        return None
    nearby = set(previous.related)
    nearby |= {i for c in catalogue.categories if c.id == previous.category for i in c.intent_ids}
    in_context = f"{question.text} {previous.title.ja} {previous.title.en}"
    for candidate in matcher.scores(in_context):
        about_it = any(matcher.concept_share(candidate.intent_id, c) >= MIN_SHARE for c in concepts)
        if candidate.intent_id != previous_id and candidate.intent_id in nearby and about_it:
            return Resolved(candidate.intent_id)
    return None
