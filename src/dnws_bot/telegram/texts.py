"""The Telegram bot's interface sentences: keys into intents/texts.yaml (section "telegram").

The sentences are plain text in YAML; `ui` picks the language and fills the {placeholders}, and
senders escape the result for HTML. `TextKey` lists every key the bot shows, so mypy catches a
typo and `missing_texts` can refuse a catalogue (at start or /reload) that lacks one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from ..engine import Catalogue, Engine, Lang, Problem, Text

TextKey = Literal[
    "help_intro",
    "start_hint",
    "not_text",
    "ask_usage",
    "lang_usage",
    "lang_set",
    "topics",
    "unknown_command",
    "outdated",
    "open_in_bot",
    "voted",
    "ask_another_label",
    "lang_prompt",
    "lang_admins_only",
    "lang_label_ja",
    "lang_label_en",
    "lang_label_both",
    "lang_label_auto",
    "glossary_pick",
    "help_private_intro",
    "help_group_intro",
    "inline_button",
    "inline_no_match_title",
    "inline_no_match_text",
    "apology",
    "about",
    "admins_only",
    "stats_report",
    "reload_done",
    "reload_refused",
    "map_title",
    "glossary_title",
    "glossary_hint",
    "no_term",
    "full_answer",
    "no_scores",
    "score_title",
    "unknown_topic",
    "open_in_bot_label",
    "share_label",
    # events: profile, group intro, schedules
    "bot_description",
    "bot_short_description",
    "group_intro",
    "add_to_group",
    "schedule_usage",
    "schedule_bad_timezone",
    "schedule_added",
    "schedule_list",
    "schedule_none",
    "schedule_removed",
    "schedule_not_found",
    "schedule_admins_only",
    "schedule_full",
    "schedule_no_channel",
    "schedule_channel_from_private",
    "card_header",
]
TEXT_KEYS: tuple[TextKey, ...] = get_args(TextKey)


def ui(engine: Engine, key: TextKey, lang: Lang, **values: str) -> str:
    """The sentence `key` in `lang` (plain text), with its {placeholders} filled."""
    text = engine.text(key).get(lang)
    return text.format(**values) if values else text


def command_text(engine: Engine, name: str, *, for_help: bool = False) -> Text:
    """A command's menu line (`command_<name>`), or for /help `command_<name>_help` if any."""
    texts = engine.catalogue.texts
    return (for_help and texts.get(f"command_{name}_help")) or texts[f"command_{name}"]


def missing_texts(catalogue: Catalogue, command_names: Iterable[str]) -> list[Problem]:
    """One problem per sentence the bot would show that texts.yaml does not define."""
    needed = [*TEXT_KEYS, *(f"command_{name}" for name in command_names)]
    return [
        Problem("texts.yaml", 0, None, f"text {key!r} is missing (the Telegram bot shows it)")
        for key in needed
        if key not in catalogue.texts
    ]
