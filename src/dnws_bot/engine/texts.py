"""Interface sentences (not answers) in both languages, kept in one place for translators."""

from __future__ import annotations

from .catalogue import Text

UI: dict[str, Text] = {
    "source_label": Text("出典", "Source"),
    "did_you_mean": Text(
        "質問の意図がはっきりしませんでした。こちらのことでしょうか?",
        "I'm not sure what you mean. Did you mean one of these?",
    ),
    "no_match": Text(
        "この記事(38 North、2025年3月14日)に書かれていない内容のようです。"
        "このボットは、北朝鮮の「事実上の核武装国」化の動きと米韓の対応についての質問に答えます。"
        "下のトピックから選ぶか、言い換えてみてください。",
        "That doesn't seem to be covered by the article (38 North, 2025-03-14). I answer questions "
        "about North Korea's push for de facto nuclear weapon state status and the ROK-US "
        "response. Pick a topic below or rephrase.",
    ),
    "empty": Text(
        "質問を入力してください。例: 「事実上の核武装国とは?」",
        'Please type a question, for example "What is a de facto nuclear weapon state?"',
    ),
}


def ui(key: str) -> Text:
    """An interface sentence by key (KeyError for a typo is a bug worth crashing tests on)."""
    return UI[key]
