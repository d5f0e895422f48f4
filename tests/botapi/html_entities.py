"""Telegram's HTML parse mode and message-text normalization, ported from tdlib.

The rules follow ``parse_html``, ``decode_html_entity``, ``fix_formatted_text`` and
``LinkManager::check_link`` in tdlib (td/telegram/MessageEntity.cpp, LinkManager.cpp), which the
official Bot API server runs. Porting them, rather than approximating them, is what lets the
stand-in refuse exactly the markup Telegram refuses, in Telegram's words, with byte offsets into
the UTF-8 text. Spans use code-point offsets internally; ``to_bot_api`` converts them to the
UTF-16 offsets the Bot API reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space() also counts NUL, which is how it sees the end of the text.
_SPACE_OR_END = frozenset(" \t\r\n\v\f\0")
_SPECIAL = re.compile("[<&]")
# Characters fix_formatted_text rewrites: control characters become spaces, CR and the
# bidirectional/line-separator marks U+2028-U+202E and three combining "vertical lines" go away.
_NEEDS_CLEANING = re.compile("[\x00-\x09\x0b-\x1f\u2028-\u202e\u0333\u033f\u030a]")
_REMOVED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_MAX_INT64 = 2**63 - 1
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

# tdlib's MessageEntity::get_type_priority, which breaks ties when sorting entities.
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
    "expandable_blockquote": 0,
}
# Entities that cannot overlap an automatically detected URL, mention or command.
_OPAQUE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})

_AUTO_PATTERNS = (
    ("url", re.compile(r"(?<![\w@/.])https?://[^\s<>\"'`]+", re.IGNORECASE)),
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        ),
    ),
    ("bot_command", re.compile(r"(?<![\w/.])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)
_URL_TRAILING_PUNCTUATION = ".,:;!?)]}'\""
_TG_USER_LINK = re.compile(r"tg:(?://)?user\?id=(\d+)", re.IGNORECASE)
_URL_PARTS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?:(?P<userinfo>[^/?#@]*)@)?"
    r"(?P<host>\[[^\]]*\]|[^/?#:]*)(?::(?P<port>[^/?#]*))?(?P<rest>.*)",
    re.DOTALL,
)


class EntityParseError(ValueError):
    """Markup Telegram refuses; ``str()`` is tdlib's message, which the Bot API prefixes."""


class LinkError(ValueError):
    """A URL tdlib's check_link refuses; ``str()`` is its reason, e.g. ``Wrong HTTP URL``."""


@dataclass(slots=True)
class Span:
    """An entity over ``text[start:end]`` in code points, with its extra Bot API fields."""

    start: int
    end: int
    type: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    start: int
    piece_index: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's text limits and entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _char(text: str, index: int) -> str:
    return text[index] if index < len(text) else "\0"


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the entity at ``text[pos] == '&'`` the way tdlib does, or None to keep the '&'."""
    end = pos + 1
    if _char(text, end) == "#":
        end += 1
        code = 0
        if _char(text, end) == "x":
            end += 1
            while end < len(text) and text[end] in _HEX_DIGITS:
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < len(text) and text[end].isascii() and text[end].isdigit():
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        decoded = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        decoded = named
    if _char(text, end) == ";":
        end += 1
    return decoded, end


def parse_html(text: str) -> tuple[str, list[Span]]:
    """Parse Telegram HTML into plain text and spans, raising EntityParseError like tdlib."""
    pieces: list[str] = []
    length = 0
    spans: list[Span] = []
    stack: list[_OpenTag] = []
    surrogate_decoded = False
    index = 0
    size = len(text)
    while index < size:
        match = _SPECIAL.search(text, index)
        special = match.start() if match else size
        if special > index:
            pieces.append(text[index:special])
            length += special - index
        if special == size:
            break
        if text[special] == "&":
            decoded = _decode_html_entity(text, special)
            if decoded is None:
                pieces.append("&")
                index = special + 1
            else:
                pieces.append(decoded[0])
                surrogate_decoded |= 0xD800 <= ord(decoded[0]) <= 0xDFFF
                index = decoded[1]
            length += 1
            continue
        if _char(text, special + 1) == "/":
            index = _close_tag(text, special, stack, spans, pieces, length)
        else:
            index = _open_tag(text, special, stack, len(pieces), length)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    if surrogate_decoded:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    for span in spans:
        if span.type == "code":
            span.extra.clear()
    return "".join(pieces), spans


def _open_tag(text: str, begin: int, stack: list[_OpenTag], piece_index: int, length: int) -> int:
    """Parse a start tag at ``text[begin] == '<'``; return the index after its '>'."""
    i = begin + 1
    while _char(text, i) not in _SPACE_OR_END and text[i] != ">":
        i += 1
    if _char(text, i) == "\0":
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = _ascii_lower(text[begin + 1 : i])
    if tag not in _ALLOWED_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    argument = ""
    while _char(text, i) != ">":
        while _char(text, i) != "\0" and _char(text, i) in _SPACE_OR_END:
            i += 1
        if _char(text, i) == ">":
            break
        name_begin = i
        while _char(text, i) not in _SPACE_OR_END and text[i] not in "=>/\"'":
            i += 1
        attribute = text[name_begin:i]
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while _char(text, i) != "\0" and _char(text, i) in _SPACE_OR_END:
            i += 1
        if _char(text, i) != "=":
            if _char(text, i) == "\0":
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            if tag == "blockquote" and attribute == "expandable":
                argument = "1"
            continue
        i += 1
        while _char(text, i) != "\0" and _char(text, i) in _SPACE_OR_END:
            i += 1
        if _char(text, i) == "\0":
            raise EntityParseError(
                f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        value, i = _attribute_value(text, i)
        if _char(text, i) == "\0":
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        argument = _tag_argument(tag, attribute, value, argument)
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    stack.append(_OpenTag(tag, argument, length, piece_index))
    return i + 1


def _attribute_value(text: str, i: int) -> tuple[str, int]:
    """Read a quoted string (entities decoded) or an unquoted name token starting at ``i``."""
    quote = text[i]
    if quote not in "\"'":
        token_begin = i
        while _char(text, i).isascii() and (_char(text, i).isalnum() or text[i] in ".-"):
            i += 1
        if _char(text, i) not in _SPACE_OR_END and text[i] != ">":
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
            )
        return _ascii_lower(text[token_begin:i]), i
    i += 1
    value: list[str] = []
    while _char(text, i) not in (quote, "\0"):
        if text[i] == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                value.append(decoded[0])
                i = decoded[1]
                continue
        value.append(text[i])
        i += 1
    if _char(text, i) == quote:
        i += 1
    return "".join(value), i


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """Keep the one attribute each tag understands; tdlib ignores all others."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current


def _close_tag(
    text: str,
    begin: int,
    stack: list[_OpenTag],
    spans: list[Span],
    pieces: list[str],
    length: int,
) -> int:
    """Parse an end tag at ``text[begin] == '<'``, add its entity, return the index after '>'."""
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
    i = begin + 1
    while _char(text, i) not in _SPACE_OR_END and text[i] != ">":
        i += 1
    end_tag = _ascii_lower(text[begin + 2 : i])
    while _char(text, i) != "\0" and _char(text, i) in _SPACE_OR_END:
        i += 1
    if _char(text, i) != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    opened = stack[-1]
    if end_tag and end_tag != opened.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
            f'expected "</{opened.name}>", found "</{end_tag}>"'
        )
    if length > opened.start:
        span = _span_for(opened, length, spans, "".join(pieces[opened.piece_index :]))
        if span is not None:
            spans.append(span)
    stack.pop()
    return i + 1


def _span_for(opened: _OpenTag, end: int, spans: list[Span], inner_text: str) -> Span | None:
    """The entity a closed tag makes; pre/code pairs merge into one ``pre`` with a language."""
    start, name, argument = opened.start, opened.name, opened.argument
    last = spans[-1] if spans else None
    same_range = last is not None and last.start == start and last.end == end
    if name in _SIMPLE_TAG_TYPES:
        return Span(start, end, _SIMPLE_TAG_TYPES[name])
    if name == "tg-emoji":
        try:
            emoji_id = int(argument)
        except ValueError:
            emoji_id = 0
        if emoji_id == 0 or not -_MAX_INT64 - 1 <= emoji_id <= _MAX_INT64:
            raise EntityParseError("Invalid custom emoji identifier specified")
        return Span(start, end, "custom_emoji", {"custom_emoji_id": str(emoji_id)})
    if name == "a":
        url = argument or inner_text
        user = _TG_USER_LINK.fullmatch(url)
        if user is not None:
            return Span(start, end, "text_mention", {"user_id": int(user.group(1))})
        try:
            return Span(start, end, "text_link", {"url": check_link(url)})
        except LinkError:
            return None
    if name == "pre":
        if same_range and last is not None and last.type == "code" and last.extra:
            last.type = "pre"
            last.extra = {"language": last.extra["language"]}
            return None
        return Span(start, end, "pre")
    if name == "code":
        if same_range and last is not None and last.type == "pre" and argument:
            last.extra = {"language": argument}
            return None
        return Span(start, end, "code", {"language": argument} if argument else {})
    return Span(start, end, "expandable_blockquote" if argument else "blockquote")


def check_link(link: str, *, https_only: bool = False) -> str:
    """Validate and normalize a link like tdlib's check_link; raise LinkError with its reason."""
    lowered = link.lower()
    special = next((p for p in ("tg:", "ton:", "tonsite:") if lowered.startswith(p)), None)
    rest = link[len(special) :] if special else link
    if special and rest.startswith("//"):
        rest = rest[2:]
    parts = _URL_PARTS.fullmatch(rest)
    if parts is None:
        raise LinkError("Wrong URL")
    scheme = (parts["scheme"] or "http").lower()
    if scheme not in ("http", "https"):
        raise LinkError("Unsupported URL protocol")
    host = parts["host"].lower()
    if not host:
        raise LinkError("URL host is empty")
    port = parts["port"]
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise LinkError("Wrong port number specified in the URL")
    if https_only and (special or scheme != "https"):
        raise LinkError("Only HTTPS links are allowed")
    path = parts["rest"]
    if not path.startswith("/"):
        path = "/" + path
    if special:
        if parts["scheme"] or parts["userinfo"] is not None or port is not None:
            raise LinkError("Wrong tg URL" if special == "tg:" else "Wrong ton URL")
        if any(not (c.isascii() and (c.isalnum() or c in "-_")) for c in host):
            raise LinkError("Unallowed characters in URL host")
        if path.startswith("/?"):
            path = path[1:]
        return f"{special[:-1]}://{host}{path}"
    if "." not in host and not host.startswith("["):
        raise LinkError("Wrong HTTP URL")
    userinfo = f"{parts['userinfo']}@" if parts["userinfo"] is not None else ""
    return f"{scheme}://{userinfo}{host}{f':{port}' if port else ''}{path}"


def finalize(text: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """Normalize text as tdlib's fix_formatted_text: clean, drop blank entities, trim, sort.

    Returns empty text when nothing visible is left; the caller decides which error that is.
    """
    if _NEEDS_CLEANING.search(text):
        text, spans = _clean(text, spans)
    spans = [span for span in spans if text[span.start : span.end].strip(" \n")]
    kept = text.rstrip(" \n")
    if not kept:
        return "", []
    for span in spans:
        span.end = min(span.end, len(kept))
    first_entity = min((span.start for span in spans), default=len(kept))
    trim = 0
    while trim < first_entity and kept[trim] in " \n":
        trim += 1
    if trim:
        kept = kept[trim:]
        for span in spans:
            span.start -= trim
            span.end -= trim
    spans.sort(key=_sort_key)
    return kept, spans


def _clean(text: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """Apply fix_formatted_text's character rewrites, moving span boundaries with the text."""
    new_index = [0] * (len(text) + 1)
    out: list[str] = []
    for index, char in enumerate(text):
        new_index[index] = len(out)
        if char in _REMOVED:
            continue
        out.append(" " if char < " " and char != "\n" else char)
    new_index[len(text)] = len(out)
    moved = [
        Span(new_index[span.start], new_index[span.end], span.type, span.extra) for span in spans
    ]
    return "".join(out), [span for span in moved if span.end > span.start]


def _sort_key(span: Span) -> tuple[int, int, int]:
    return span.start, span.start - span.end, _PRIORITY.get(span.type, 50)


def find_auto_entities(text: str, existing: Sequence[Span] = ()) -> list[Span]:
    """Detect URLs, e-mails, /commands, @mentions and #hashtags as Telegram does for any text.

    A subset of tdlib's find_entities: enough for the entities a bot or a user message carries
    in practice. Matches inside code, pre or links are skipped, like Telegram.
    """
    found: list[Span] = []
    taken = [(span.start, span.end) for span in existing if span.type in _OPAQUE]
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                end -= len(match.group()) - len(match.group().rstrip(_URL_TRAILING_PUNCTUATION))
            if end > start and all(end <= s or start >= e for s, e in taken):
                found.append(Span(start, end, kind))
                taken.append((start, end))
    return found


def to_bot_api(text: str, spans: list[Span]) -> list[dict[str, Any]]:
    """Render spans as Bot API MessageEntity dicts with UTF-16 offsets, in tdlib's order."""
    if not spans:
        return []
    ordered = sorted(spans, key=_sort_key)
    if utf16_len(text) == len(text):
        return [
            {"offset": s.start, "length": s.end - s.start, "type": s.type, **s.extra}
            for s in ordered
        ]
    units = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        units[index] = total
        total += 2 if ord(char) > 0xFFFF else 1
    units[len(text)] = total
    return [
        {
            "offset": units[s.start],
            "length": units[s.end] - units[s.start],
            "type": s.type,
            **s.extra,
        }
        for s in ordered
    ]


def utf16_to_index(text: str) -> dict[int, int]:
    """Map each UTF-16 offset that falls on a character boundary to its code-point index."""
    mapping: dict[int, int] = {}
    units = 0
    for index, char in enumerate(text):
        mapping[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    mapping[units] = len(text)
    return mapping
