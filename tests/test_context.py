"""Follow-up context: per conversation, short-lived, bounded, memory only."""

from __future__ import annotations

from dnws_bot.telegram.context import ConversationContext


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_recent_answer_is_recalled() -> None:
    """The last intent answered in a conversation is recalled within the time limit."""
    clock = Clock()
    context = ConversationContext(ttl=300, clock=clock)
    context.remember((1, None), "case.india")
    clock.now += 299
    assert context.recall((1, None)) == "case.india"


def test_context_expires() -> None:
    """After the time limit the previous answer no longer steers short questions."""
    clock = Clock()
    context = ConversationContext(ttl=300, clock=clock)
    context.remember((1, None), "case.india")
    clock.now += 301
    assert context.recall((1, None)) is None


def test_users_in_a_group_do_not_share_context() -> None:
    """In a group each user has their own context (keys carry the user id)."""
    context = ConversationContext()
    context.remember((-100, 7), "case.india")
    assert context.recall((-100, 8)) is None
    assert context.recall((-100, 7)) == "case.india"


def test_table_is_bounded() -> None:
    """The oldest conversations are forgotten once the table is full."""
    context = ConversationContext(max_entries=3)
    for chat in range(5):
        context.remember((chat, None), "case.india")
    assert context.recall((0, None)) is None
    assert context.recall((4, None)) == "case.india"
