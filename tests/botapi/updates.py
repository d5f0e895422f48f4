"""Builders of update JSON shaped exactly as Telegram delivers it to bots.

Every builder returns a plain dict (ints for ids, unix ``date``, the ``from`` key, entities with
UTF-16 offsets) that ``BotApiStandIn.feed`` queues for getUpdates or ``deliver_webhook`` posts.
Feeding registers the chats, users and messages it carries, so the bot can answer in those chats
and reply to those messages. Message ids come from one process-wide sequence shared with the
stand-in, so ids stay unique and increase over time in every chat, as in private chats on
Telegram.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from .html_entities import find_auto_entities, to_bot_api

JSON = dict[str, Any]

GROUP_ANONYMOUS_BOT_ID = 1087968824
"""The user Telegram shows as ``from`` of messages that anonymous group admins send."""

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)

# A restricted member's permissions, all of which Telegram sends (here: a muted member).
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
)


class IdSequence:
    """A thread-safe increasing counter that can be moved past ids chosen by hand."""

    def __init__(self, start: int) -> None:
        self._next = start
        self._lock = threading.Lock()

    def next(self) -> int:
        """Take the next value."""
        with self._lock:
            value = self._next
            self._next += 1
            return value

    def advance_past(self, value: int) -> None:
        """Make sure later values are greater than ``value``."""
        with self._lock:
            self._next = max(self._next, value + 1)


message_ids = IdSequence(1)
"""Message ids for fed messages and for messages the stand-in sends, unique per process."""

_query_ids = itertools.count(4_283_561_032_870_012_001)
_file_numbers = itertools.count(1)


def user(
    user_id: int,
    *,
    first_name: str = "Taro",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "ja",
    is_bot: bool = False,
) -> JSON:
    """A User as it appears in ``from``; Telegram omits unset optional fields."""
    result: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name is not None:
        result["last_name"] = last_name
    if username is not None:
        result["username"] = username
    if language_code is not None:
        result["language_code"] = language_code
    return result


def private_chat(sender: JSON) -> JSON:
    """The private Chat with a user, which repeats the user's names."""
    chat: JSON = {"id": sender["id"], "first_name": sender["first_name"]}
    for key in ("last_name", "username"):
        if key in sender:
            chat[key] = sender[key]
    chat["type"] = "private"
    return chat


def group_chat(
    chat_id: int,
    *,
    title: str = "DNWS study group",
    chat_type: str | None = None,
    is_forum: bool = False,
    username: str | None = None,
) -> JSON:
    """A group Chat; supergroup and channel ids start with -100, basic group ids do not."""
    if chat_type is None:
        chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
    chat: JSON = {"id": chat_id, "title": title}
    if username is not None:
        chat["username"] = username
    chat["type"] = chat_type
    if is_forum:
        chat["is_forum"] = True
    return chat


def _as_user(value: int | JSON) -> JSON:
    return user(value) if isinstance(value, int) else value


def _chat_for(chat_id: int, sender: JSON) -> JSON:
    return private_chat(sender) if chat_id == sender["id"] else group_chat(chat_id)


def _without_reply(message: JSON) -> JSON:
    """Telegram never nests reply_to_message inside a reply_to_message."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def message(
    chat: JSON,
    sender: JSON | None,
    *,
    text: str | None = None,
    message_id: int | None = None,
    date: int | None = None,
    reply_to: JSON | None = None,
    message_thread_id: int | None = None,
    **content: Any,
) -> JSON:
    """A Message in ``chat`` from ``sender``; text gets the entities Telegram would detect."""
    result: JSON = {"message_id": message_id or message_ids.next()}
    if sender is not None:
        result["from"] = sender
    result["chat"] = chat
    result["date"] = date or int(time.time())
    if message_thread_id is not None:
        result["message_thread_id"] = message_thread_id
        if chat.get("is_forum"):
            result["is_topic_message"] = True
            if reply_to is None and sender is not None:
                reply_to = _topic_created(chat, sender, message_thread_id, result["date"])
    if reply_to is not None:
        result["reply_to_message"] = _without_reply(reply_to)
    if text is not None:
        result["text"] = text
        entities = to_bot_api(text, find_auto_entities(text))
        if entities:
            result["entities"] = entities
    result.update(content)
    return result


def _topic_created(chat: JSON, sender: JSON, thread_id: int, date: int) -> JSON:
    """The service message that opened a forum topic, which topic messages reply to."""
    return {
        "message_id": thread_id,
        "from": sender,
        "chat": chat,
        "date": date,
        "message_thread_id": thread_id,
        "forum_topic_created": {"name": "Study topic", "icon_color": 7322096},
        "is_topic_message": True,
    }


def private_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    language_code: str | None = "ja",
    first_name: str = "Taro",
    username: str | None = None,
    reply_to: JSON | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> JSON:
    """An update with a text message a user sent to the bot in their private chat."""
    sender = user(user_id, first_name=first_name, username=username, language_code=language_code)
    chat = private_chat(sender) if chat_id == user_id else private_chat({**sender, "id": chat_id})
    return {
        "message": message(
            chat, sender, text=text, message_id=message_id, date=date, reply_to=reply_to
        )
    }


def group_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    chat_type: str | None = None,
    title: str = "DNWS study group",
    is_forum: bool = False,
    message_thread_id: int | None = None,
    reply_to: JSON | None = None,
    language_code: str | None = "ja",
    first_name: str = "Taro",
    username: str | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> JSON:
    """An update with a text message in a group, supergroup or forum topic."""
    sender = user(user_id, first_name=first_name, username=username, language_code=language_code)
    chat = group_chat(chat_id, title=title, chat_type=chat_type, is_forum=is_forum)
    return {
        "message": message(
            chat,
            sender,
            text=text,
            message_id=message_id,
            date=date,
            reply_to=reply_to,
            message_thread_id=message_thread_id,
        )
    }


def command(
    chat_id: int,
    user_id: int,
    name: str,
    args: str = "",
    *,
    bot_username: str | None = None,
    **kwargs: Any,
) -> JSON:
    """``/name[@bot] args`` from a user, in their private chat or (negative id) in a group."""
    text = f"/{name}" + (f"@{bot_username}" if bot_username else "") + (f" {args}" if args else "")
    if chat_id < 0:
        return group_text(chat_id, user_id, text, **kwargs)
    return private_text(chat_id, user_id, text, **kwargs)


def callback_query(
    from_user: int | JSON,
    message: JSON | None,
    data: str,
    *,
    query_id: str | None = None,
    chat_instance: str | None = None,
    inline_message_id: str | None = None,
) -> JSON:
    """A press of an inline button with ``data`` under ``message`` (e.g. one the bot sent).

    For a button under a message sent in inline mode pass ``message=None`` and the
    ``inline_message_id``: Telegram then sends no message, and the bot edits by that id.
    """
    chat_id = message["chat"]["id"] if message is not None else 0
    query: JSON = {"id": query_id or str(next(_query_ids)), "from": _as_user(from_user)}
    if message is not None:
        query["message"] = message
    if inline_message_id is not None:
        query["inline_message_id"] = inline_message_id
    query["chat_instance"] = chat_instance or str(-((abs(chat_id) * 7_919_000_003) % 10**19))
    query["data"] = data
    return {"callback_query": query}


def chosen_inline_result(
    from_user: int | JSON, result_id: str, query: str, *, inline_message_id: str | None = None
) -> JSON:
    """The inline result a user chose; ``inline_message_id`` is set when it has a keyboard."""
    result: JSON = {"result_id": result_id, "from": _as_user(from_user)}
    if inline_message_id is not None:
        result["inline_message_id"] = inline_message_id
    result["query"] = query
    return {"chosen_inline_result": result}


def inline_query(
    from_user: int | JSON,
    query: str,
    *,
    chat_type: str = "sender",
    offset: str = "",
    query_id: str | None = None,
) -> JSON:
    """An inline query typed after the bot's username; chat_type is where it was typed."""
    return {
        "inline_query": {
            "id": query_id or str(next(_query_ids)),
            "from": _as_user(from_user),
            "chat_type": chat_type,
            "query": query,
            "offset": offset,
        }
    }


def edited_message(original: JSON, text: str, *, edit_date: int | None = None) -> JSON:
    """An edit of a user's text message: same id, new text and entities, an edit_date."""
    edited = {key: value for key, value in original.items() if key not in ("text", "entities")}
    edited["edit_date"] = edit_date or int(time.time())
    edited["text"] = text
    entities = to_bot_api(text, find_auto_entities(text))
    if entities:
        edited["entities"] = entities
    return {"edited_message": edited}


def edited_channel_post(original: JSON, text: str, *, edit_date: int | None = None) -> JSON:
    """An edit of a channel post (``original`` is the post's message, e.g. from channel_post)."""
    return {
        "edited_channel_post": edited_message(original, text, edit_date=edit_date)["edited_message"]
    }


def reaction(value: str | JSON) -> JSON:
    """A ReactionType: an emoji string becomes ``{"type": "emoji", "emoji": ...}``."""
    return {"type": "emoji", "emoji": value} if isinstance(value, str) else value


def message_reaction(
    message: JSON,
    from_user: int | JSON | None,
    *,
    new: list[str | JSON],
    old: list[str | JSON] | None = None,
    actor_chat: JSON | None = None,
    date: int | None = None,
) -> JSON:
    """A user (or, anonymously, ``actor_chat``) changed their reactions on ``message``.

    Reactions are emoji strings or ReactionType dicts (``custom_emoji``, ``paid``). Telegram
    sends these only to bots that list ``message_reaction`` in allowed_updates, and in groups
    only when the bot is an administrator.
    """
    update: JSON = {"chat": message["chat"], "message_id": message["message_id"]}
    if from_user is not None:
        update["user"] = _as_user(from_user)
    if actor_chat is not None:
        update["actor_chat"] = actor_chat
    update["date"] = date or int(time.time())
    update["old_reaction"] = [reaction(value) for value in old or []]
    update["new_reaction"] = [reaction(value) for value in new]
    return {"message_reaction": update}


def message_reaction_count(
    message: JSON, counts: dict[str, int], *, date: int | None = None
) -> JSON:
    """Anonymous reaction totals on a channel post (``{"👍": 3}``)."""
    return {
        "message_reaction_count": {
            "chat": message["chat"],
            "message_id": message["message_id"],
            "date": date or int(time.time()),
            "reactions": [
                {"type": reaction(emoji), "total_count": total} for emoji, total in counts.items()
            ],
        }
    }


def channel_post(
    chat_id: int,
    text: str,
    *,
    title: str = "DNWS channel",
    username: str | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> JSON:
    """A post in a channel where the bot is an admin; posts carry sender_chat, not from."""
    chat = group_chat(chat_id, title=title, chat_type="channel", username=username)
    return {
        "channel_post": message(
            chat, None, text=text, message_id=message_id, date=date, sender_chat=chat
        )
    }


def _file(prefix: str) -> tuple[str, str]:
    number = next(_file_numbers)
    return f"{prefix}AgADBAADxKkxG{number:010d}", f"AQAD{number:010d}"


def sticker(chat_id: int, user_id: int, *, emoji: str = "👍", **kwargs: Any) -> JSON:
    """A sticker message, which has no text for the bot to read."""
    sender = _as_user(user_id)
    file_id, unique_id = _file("CAACAgIAAxkBAAI")
    thumb_id, thumb_unique_id = _file("AAMCAgADGQEAAg")
    content = {
        "sticker": {
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "set_name": "HotCherry",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "thumbnail": {
                "file_id": thumb_id,
                "file_unique_id": thumb_unique_id,
                "file_size": 5416,
                "width": 128,
                "height": 128,
            },
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_size": 28960,
        }
    }
    return {"message": message(_chat_for(chat_id, sender), sender, **content, **kwargs)}


def photo(chat_id: int, user_id: int, *, caption: str | None = None, **kwargs: Any) -> JSON:
    """A photo message in the three sizes Telegram generates, with an optional caption."""
    sender = _as_user(user_id)
    sizes = []
    for width, height, size in ((90, 60, 1325), (320, 213, 17402), (800, 533, 70126)):
        file_id, unique_id = _file("AgACAgUAAxkBAAI")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_size": size,
                "width": width,
                "height": height,
            }
        )
    content: JSON = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
        entities = to_bot_api(caption, find_auto_entities(caption))
        if entities:
            content["caption_entities"] = entities
    return {"message": message(_chat_for(chat_id, sender), sender, **content, **kwargs)}


def voice(chat_id: int, user_id: int, *, duration: int = 3, **kwargs: Any) -> JSON:
    """A voice note, which a text-only bot has to decline politely."""
    sender = _as_user(user_id)
    file_id, unique_id = _file("AwACAgUAAxkBAAI")
    content = {
        "voice": {
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_size": 4_000 * duration,
        }
    }
    return {"message": message(_chat_for(chat_id, sender), sender, **content, **kwargs)}


def poll_answer(
    poll_id: str,
    from_user: int | JSON,
    option_ids: list[int],
    *,
    option_persistent_ids: list[str] | None = None,
) -> JSON:
    """A vote in a non-anonymous poll; an empty ``option_ids`` is a retracted vote."""
    persistent = option_persistent_ids
    if persistent is None:
        persistent = [str(option_id) for option_id in option_ids]
    return {
        "poll_answer": {
            "poll_id": poll_id,
            "user": _as_user(from_user),
            "option_ids": option_ids,
            "option_persistent_ids": persistent,
        }
    }


def chat_member(member: JSON, status: str) -> JSON:
    """A ChatMember with every field PTB requires for ``status``."""
    if status == "administrator":
        base = {"user": member, "status": status, "can_be_edited": False, "is_anonymous": False}
        return base | dict.fromkeys(_ADMIN_RIGHTS, True)
    if status == "creator":
        return {"user": member, "status": status, "is_anonymous": False}
    if status == "restricted":
        base = {"user": member, "status": status, "until_date": 0, "is_member": True}
        return base | dict.fromkeys(_RESTRICTED_RIGHTS, False)
    if status == "kicked":
        return {"user": member, "status": status, "until_date": 0}
    return {"user": member, "status": status}


def my_chat_member(
    chat_id: int,
    from_user: int | JSON,
    bot: JSON,
    *,
    old_status: str = "left",
    new_status: str = "member",
    title: str = "DNWS study group",
    chat_type: str | None = None,
    date: int | None = None,
) -> JSON:
    """The bot's own status changed: added to (or promoted in, removed from) a group or channel.

    With a positive ``chat_id`` it is the private chat with ``from_user``: ``kicked`` there
    means the user blocked the bot, ``member`` that they unblocked it.
    """
    sender = _as_user(from_user)
    if chat_id > 0:
        chat = private_chat(sender)
    else:
        chat = group_chat(chat_id, title=title, chat_type=chat_type)
    return {
        "my_chat_member": {
            "chat": chat,
            "from": sender,
            "date": date or int(time.time()),
            "old_chat_member": chat_member(bot, old_status),
            "new_chat_member": chat_member(bot, new_status),
        }
    }


def chat_member_updated(
    chat_id: int,
    from_user: int | JSON,
    member: int | JSON,
    *,
    old_status: str = "left",
    new_status: str = "member",
    title: str = "DNWS study group",
    chat_type: str | None = None,
    date: int | None = None,
) -> JSON:
    """Another member's status changed (a ``chat_member`` update, for admin bots that ask)."""
    person = _as_user(member)
    return {
        "chat_member": {
            "chat": group_chat(chat_id, title=title, chat_type=chat_type),
            "from": _as_user(from_user),
            "date": date or int(time.time()),
            "old_chat_member": chat_member(person, old_status),
            "new_chat_member": chat_member(person, new_status),
        }
    }


def anonymous_admin_message(
    chat_id: int, text: str, *, title: str = "DNWS study group", **kwargs: Any
) -> JSON:
    """A message an anonymous admin sent: from is GroupAnonymousBot, sender_chat the group."""
    chat = group_chat(chat_id, title=title)
    sender = user(
        GROUP_ANONYMOUS_BOT_ID,
        first_name="Group",
        username="GroupAnonymousBot",
        language_code=None,
        is_bot=True,
    )
    return {"message": message(chat, sender, text=text, sender_chat=chat, **kwargs)}


def migrate_to_chat(
    chat_id: int, new_chat_id: int, user_id: int, *, title: str = "DNWS study group"
) -> JSON:
    """The service message in a basic group that was upgraded to supergroup ``new_chat_id``."""
    chat = group_chat(chat_id, title=title, chat_type="group")
    return {"message": message(chat, user(user_id), migrate_to_chat_id=new_chat_id)}
