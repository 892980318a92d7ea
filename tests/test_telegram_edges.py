"""Telegram's less common updates: forum topics, edits, channel posts, being removed
(issue 17 items 10 and 12). The real Application against the fake Bot API."""

from __future__ import annotations

from fake_bot_api import FakeBotApi
from telegram_fixtures import PENTAGON, StartBot

KAREN = FakeBotApi.user(734519862, "Karen")


async def _sentinel(bot) -> None:
    """A question asked last: once it is answered, every earlier update was handled."""
    update = await bot.api.send_private(PENTAGON, user=KAREN)
    await bot.reply_to(update)


def _replies_in(api: FakeBotApi, chat_id: int) -> list:
    return [c for c in api.calls_to("sendMessage", ok=True) if int(c.params["chat_id"]) == chat_id]


async def test_chatter_in_a_topic_the_bot_created_is_no_question(start_bot: StartBot) -> None:
    bot = await start_bot()
    forum = bot.api.forum_chat()
    topic = bot.api.open_topic(forum, "Spørg faktabot")  # created by the bot
    await bot.api.send_topic("hej allesammen, hvad skal vi spise?", topic, user=KAREN)
    await _sentinel(bot)
    assert _replies_in(bot.api, forum["id"]) == []


async def test_a_question_in_a_topic_is_answered_in_that_topic(start_bot: StartBot) -> None:
    bot = await start_bot()
    forum = bot.api.forum_chat()
    topic = bot.api.open_topic(forum, "Nyheder", creator=KAREN)
    asked = await bot.api.send_topic(f"/spoerg {PENTAGON}", topic, user=KAREN)
    reply = await bot.reply_to(asked)
    assert reply.params["message_thread_id"] == topic["message_thread_id"]
    assert "Pat Ryder" in reply.params["text"]
    answer = bot.api.messages[(forum["id"], reply.result["message_id"])]
    follow = await bot.api.send_topic("Hvem er han?", topic, user=KAREN, reply_to=answer)
    again = await bot.reply_to(follow)  # a reply to the bot's answer is a question to it
    assert again.params["message_thread_id"] == topic["message_thread_id"]


async def test_edits_channel_posts_and_removal_get_no_reply_and_no_error(
    start_bot: StartBot,
) -> None:
    bot = await start_bot()
    chat = bot.api.private_chat(KAREN)
    edited = bot.api.user_message(chat, PENTAGON, user=KAREN, extra={"edit_date": 1})
    await bot.api.push({"edited_message": edited})  # a question edited: not asked again
    channel = {"id": -1005550001, "type": "channel", "title": "Nyhedskanal"}
    bot.api.chats[channel["id"]] = channel
    post = bot.api.user_message(channel, PENTAGON, user=KAREN)
    del post["from"]
    await bot.api.push({"channel_post": post})  # the bot answers people, not channels
    group = bot.api.group_chat()
    member = {"status": "member", "user": bot.api.bot_user}
    kicked = {"status": "kicked", "user": bot.api.bot_user, "until_date": 0}
    change = {
        "chat": group,
        "from": KAREN,
        "date": 1,
        "old_chat_member": member,
        "new_chat_member": kicked,
    }
    await bot.api.push({"my_chat_member": change})  # removed from a group: nothing to say
    await _sentinel(bot)
    replies = _replies_in(bot.api, chat["id"])
    assert len(replies) == 1  # the sentinel's only
    assert _replies_in(bot.api, channel["id"]) == [] and _replies_in(bot.api, group["id"]) == []
    assert not bot.api.calls_to("sendMessage", ok=False)
