"""The subset of HTML that Telegram's parse_mode=HTML accepts, checked before anything is sent.

Telegram answers a malformed message with 400 "can't parse entities"; we would rather find that
when the catalogue loads than when a user is waiting. `to_plain_text` gives the text Telegram
would display, which is also what Telegram's length limits count.
"""

from __future__ import annotations

import re

# Tags Telegram's HTML parse mode supports, and the attributes each may carry.
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "a": frozenset({"href"}),
    "blockquote": frozenset({"expandable"}),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
}
_NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*\"[^\"<>]*\")?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*\"([^\"]*)\")?")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_STRIP_TAGS = re.compile(r"<[^>]*>")

# Telegram's own limit for a message body, counted after entities are parsed.
MAX_MESSAGE_CHARS = 4096


def html_problems(text: str) -> list[str]:
    """Return why Telegram would reject `text` as HTML (empty list when it is fine)."""
    problems: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            match = _TAG.match(text, pos)
            if match is None:
                problems.append(f"stray '<' at offset {pos}: write &lt;")
                pos += 1
                continue
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED_TAGS:
                problems.append(f"unsupported tag <{name}> at offset {pos}")
            elif closing:
                if not stack or stack[-1] != name:
                    problems.append(f"</{name}> at offset {pos} closes nothing open")
                else:
                    stack.pop()
            else:
                for attr_name, _ in _ATTR.findall(attrs):
                    if attr_name.lower() not in ALLOWED_TAGS[name]:
                        problems.append(f'<{name}> may not carry "{attr_name}"')
                stack.append(name)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, pos)
            if match and match.group(1)[0] != "#" and match.group(1) not in _NAMED_ENTITIES:
                problems.append(f"unknown entity &{match.group(1)}; at offset {pos}")
            pos = match.end() if match else pos + 1
        else:
            pos += 1
    problems.extend(f"<{name}> is never closed" for name in reversed(stack))
    if not problems and not to_plain_text(text).strip():
        problems.append("text is empty once tags are removed")
    return problems


def to_plain_text(text: str) -> str:
    """Return what Telegram would display for HTML `text` (tags removed, entities decoded)."""
    plain = _STRIP_TAGS.sub("", text)
    if "&" not in plain:  # nothing to decode (html.unescape's own shortcut): `html` not imported
        return plain
    import html

    return html.unescape(plain)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the displayed text."""
    return len(to_plain_text(text).encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape user-provided text for HTML parse mode."""
    # What html.escape(text, quote=False) does, without importing html (and html.entities).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
