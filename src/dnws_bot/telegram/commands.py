"""The command table: one source for the Telegram menu (setMyCommands) and for /help."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.catalogue import Text
from ..engine.language import Lang


@dataclass(frozen=True)
class Command:
    name: str
    description: Text
    admin_only: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", Text("はじめに", "Start and main topics")),
    Command("help", Text("使い方", "How to use this bot")),
    Command("topics", Text("トピック一覧", "Browse topics")),
    Command(
        "ask",
        Text(
            "質問する(グループ用) 例: /ask DNWSとは", "Ask a question (groups): /ask what is DNWS"
        ),
    ),
    Command("map", Text("記事の構成図", "The article at a glance")),
    Command("glossary", Text("用語集", "Glossary of terms")),
    Command("quiz", Text("クイズを出す", "Take a quiz question")),
    Command("score", Text("クイズの成績(上位10人)", "Quiz leaderboard (top 10)")),
    Command(
        "lang", Text("回答言語: ja / en / both / auto", "Answer language: ja / en / both / auto")
    ),
    Command("source", Text("出典の記事", "The source article")),
    Command("about", Text("このボットについて", "About this bot")),
    Command("stats", Text("利用統計(管理者)", "Usage statistics (admins)"), admin_only=True),
    Command("reload", Text("内容を再読み込み(管理者)", "Reload content (admins)"), admin_only=True),
)

HELP_INTRO = Text(
    "38 North の記事(2025年3月14日)「北朝鮮の事実上の核武装国化と米韓の対応戦略」について、"
    "日本語か英語で質問してください。例: 「DNWSとは?」「北朝鮮の三つの障害は?」\n"
    "グループでは /ask 質問、@メンション、またはボットへの返信で質問できます。"
    "どのチャットでも @{bot} 質問 で検索できます(インラインモード)。",
    "Ask about 38 North's article (2025-03-14) on North Korea's push for de facto nuclear "
    'weapon state status and the ROK-US response, in English or Japanese, e.g. "What is a '
    'DNWS?" or "What are North Korea\'s three obstacles?"\n'
    "In groups use /ask, mention me, or reply to my message. In any chat type @{bot} and a "
    "question (inline mode).",
)


START_HINT = Text(
    "例:「DNWSとは?」「北朝鮮の三つの障害は?」 下のトピックからも選べます。使い方は /help",
    'Try "What is a DNWS?" or "What are North Korea\'s three obstacles?", or pick a topic '
    "below. /help for more.",
)


def menu(lang: Lang) -> list[tuple[str, str]]:
    """(command, description) pairs for setMyCommands in one language; admin commands hidden."""
    return [(c.name, c.description.get(lang)) for c in COMMANDS if not c.admin_only]


def help_lines(lang: Lang, is_admin: bool) -> list[str]:
    return [
        f"/{c.name} — {c.description.get(lang)}" for c in COMMANDS if is_admin or not c.admin_only
    ]
