"""A small, strict stand-in for the Telegram Bot API, served over real HTTP on 127.0.0.1.

It speaks enough HTTP/1.1 (keep-alive, Content-Length and chunked bodies; form, JSON and
multipart payloads) for python-telegram-bot's httpx client, routes ``/bot<token>/<method>``,
validates requests the way Telegram does (HTML entities, lengths, callback data, inline
results) and records every call. Tests push updates and wait for calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import html
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_TEXT = 4096
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
WEBHOOK_PORTS = {80, 88, 443, 8443}
BOT_ID = 7_000_000_001
BOT_USERNAME = "faktatestbot"

# Fields whose value is a plain string even when it looks like JSON (e.g. a question "123").
_STRING_FIELDS = {
    "text",
    "parse_mode",
    "callback_query_id",
    "inline_query_id",
    "url",
    "caption",
    "next_offset",
    "inline_message_id",
    "language_code",
    "business_connection_id",
    "message_effect_id",
    "scope_type",
    "secret_token",
    "file_id",
}
_SUPPORTED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_MARKUP = re.compile(r"[<&>]")  # where plain text ends
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode: (plain text, entities), or ApiError 400 like the real one."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, int, dict]] = []  # (tag, utf16 offset, attributes)
    pos = 0
    offset = 0

    def fail(reason: str) -> ApiError:
        byte = len(text[:pos].encode())
        return bad(f"can't parse entities: {reason} at byte offset {byte}")

    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            match = _TAG.match(text, pos)
            if match is None:
                raise fail("Unexpected character '<'")
            closing, name, attrs, _ = match.groups()
            name = name.lower()
            if name not in _SUPPORTED_TAGS:
                raise fail(f'Unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "nothing"
                    raise fail(f'Unmatched end tag "{name}", expected {expected}')
                tag, start, attributes = stack.pop()
                if offset > start:
                    entities.append(_entity(tag, start, offset - start, attributes))
            else:
                attributes = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR.finditer(attrs or "")
                }
                if name == "a" and "href" not in attributes:
                    raise fail('Tag "a" must have attribute "href"')
                stack.append((name, offset, attributes))
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, pos)
            if match is None:
                raise fail("Character '&' is reserved and must be escaped")
            body = match.group(1)
            if body.startswith("#x"):
                value = chr(int(body[2:], 16))
            elif body.startswith("#"):
                value = chr(int(body[1:]))
            elif body in _NAMED_ENTITIES:
                value = _NAMED_ENTITIES[body]
            else:
                raise fail(f'Unsupported HTML entity "&{body};"')
            out.append(value)
            offset += utf16_len(value)
            pos = match.end()
        elif ch == ">":
            raise fail("Character '>' is reserved and must be escaped")
        else:  # plain text up to the next markup character, in one step
            found = _MARKUP.search(text, pos)
            end = found.start() if found else len(text)
            out.append(text[pos:end])
            offset += utf16_len(text[pos:end])
            pos = end
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _entity(tag: str, offset: int, length: int, attributes: dict) -> dict:
    kind = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "span": "spoiler",
        "tg-spoiler": "spoiler",
        "a": "text_link",
        "tg-emoji": "custom_emoji",
        "code": "code",
        "pre": "pre",
        "blockquote": "blockquote",
    }[tag]
    entity = {"type": kind, "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attributes["href"]
    return entity


def message_entities(text: str) -> list[dict]:
    """The entities Telegram's clients attach: a leading bot_command and @mentions (UTF-16)."""
    found = []
    command = _COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in _MENTION.finditer(text):
        if command and mention.start() < command.end():
            continue
        found.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mention.start()]),
                "length": utf16_len(mention.group()),
            }
        )
    return found


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class _Injection:
    method: str
    remaining: int
    error: ApiError
    when: Callable[[dict], bool] = field(default=lambda params: True)


class FakeBotApi:
    """A strict fake Bot API server. Use ``async with FakeBotApi(token) as api:``."""

    def __init__(
        self, token: str, *, username: str = BOT_USERNAME, bot_id: int = BOT_ID, port: int = 0
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Faktabot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.calls: list[Call] = []
        self.commands: list[dict] = []
        self.updates: list[dict] = []
        self.delivered_up_to = 0  # highest update_id handed out by getUpdates
        self.confirmed_up_to = 0  # updates below this offset are confirmed
        self.chats: dict[int, dict] = {}
        self.migrated: dict[int, int] = {}  # old group id -> its supergroup id
        self.topics: set[tuple[int, int]] = set()  # (forum chat id, message_thread_id)
        self.messages: dict[tuple[int, int], dict] = {}
        self._injections: list[_Injection] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()
        self.port = port  # 0: any free port (a test may give one, to come up late)
        self.webhook: dict[str, Any] | None = None  # set by setWebhook, cleared by deleteWebhook
        self.files: dict[str, dict[str, Any]] = {}  # file_id -> {"data", "file_path"}
        self._file_ids = itertools.count(1)
        self._polls = itertools.count(1)
        self._current_poll = 0  # a newer getUpdates terminates the one waiting (409)

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- HTTP ----------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line.strip():
                    break
                verb, target, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await self._read_body(reader, headers)
                status, payload = await self._route(verb, target, headers, body)
                if isinstance(payload, bytes):  # a file download
                    data, kind = payload, "application/octet-stream"
                else:
                    data, kind = (
                        json.dumps(payload, ensure_ascii=False).encode(),
                        "application/json",
                    )
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: {kind}\r\n"
                    f"Content-Length: {len(data)}\r\n"
                    "Connection: keep-alive\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stop(): end quietly, the loop is going away
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    await reader.readline()
                    return b"".join(chunks)
                chunks.append(await reader.readexactly(size))
                await reader.readline()
        length = int(headers.get("content-length", "0") or 0)
        return await reader.readexactly(length) if length else b""

    async def _route(
        self, verb: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict | bytes]:
        url = urlsplit(target)
        if url.path.startswith("/file/bot"):
            return await self._download(unquote(url.path))
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", url.path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        params = _decode(dict(parse_qsl(url.query, keep_blank_values=True)))
        params.update(_parse_body(headers.get("content-type", ""), body))
        call = Call(method, params)
        try:
            call.result = await self._dispatch(method, params)
        except ApiError as exc:
            call.status, call.error = exc.code, exc.description
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                payload["parameters"] = exc.parameters
        else:
            payload = {"ok": True, "result": call.result}
        if method.lower() != "getupdates" or call.result or not call.ok:
            await self._record(call)
        return call.status, payload

    async def _download(self, path: str) -> tuple[int, dict | bytes]:
        """GET /file/bot<token>/<file_path>: the bytes of a file getFile handed out."""
        token, _, file_path = path.removeprefix("/file/bot").partition("/")
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        found = next((f for f in self.files.values() if f["file_path"] == file_path), None)
        await self._record(Call("downloadFile", {"file_path": file_path}, 200 if found else 404))
        if found is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, found["data"]

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # -- API methods ---------------------------------------------------------------------------

    async def _dispatch(self, method: str, params: dict) -> Any:
        for injection in self._injections:
            if (
                injection.method == method.lower()
                and injection.remaining
                and injection.when(params)
            ):
                injection.remaining -= 1
                raise injection.error
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(params)

    async def _m_getme(self, params: dict) -> dict:
        return self.bot_user

    async def _m_deletewebhook(self, params: dict) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates = []
        return True

    async def _m_setwebhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._m_deletewebhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.updates = []
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections", 40),
        }
        return True

    async def _m_getwebhookinfo(self, params: dict) -> dict:
        info = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _m_getfile(self, params: dict) -> dict:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        if len(stored["data"]) > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{params['file_id']}",
            "file_size": len(stored["data"]),
            "file_path": stored["file_path"],
        }

    async def _m_close(self, params: dict) -> bool:
        return True

    async def _m_logout(self, params: dict) -> bool:
        return True

    async def _m_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "commands empty")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    async def _m_getmycommands(self, params: dict) -> list:
        return self.commands

    async def _m_getupdates(self, params: dict) -> list:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        poll = self._current_poll = next(self._polls)
        if offset > 0:
            self.confirmed_up_to = max(self.confirmed_up_to, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

        def pending() -> list[dict]:
            return self.updates[:limit]

        def ready() -> bool:
            return bool(pending()) or poll != self._current_poll

        async with self._changed:
            self._changed.notify_all()  # wake an older poll: this one replaces it
            if not pending() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            if poll != self._current_poll:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = pending()
            if batch:
                self.delivered_up_to = max(self.delivered_up_to, batch[-1]["update_id"])
            return batch

    async def _m_sendmessage(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        text, entities = self._message_text(params)
        self._check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            key = (chat["id"], int(reply["message_id"]))
            if key not in self.messages and not reply.get("allow_sending_without_reply"):
                raise bad("message to be replied not found")
        thread = params.get("message_thread_id")
        if thread is not None and (chat["id"], int(thread)) not in self.topics:
            raise bad("message thread not found")
        message = self._new_message(chat, self.bot_user, text, entities)
        if thread is not None:
            message.update(message_thread_id=int(thread), is_topic_message=True)
        if isinstance(reply, dict) and (chat["id"], reply.get("message_id")) in self.messages:
            message["reply_to_message"] = self.messages[(chat["id"], reply["message_id"])]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_editmessagetext(self, params: dict) -> dict:
        message = self._own_message(params)
        text, entities = self._message_text(params)
        self._check_markup(params.get("reply_markup"))
        if text == message.get("text") and params.get("reply_markup") == message.get(
            "reply_markup"
        ):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.update(text=text, entities=entities, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_editmessagereplymarkup(self, params: dict) -> dict:
        message = self._own_message(params)
        self._check_markup(params.get("reply_markup"))
        if (params.get("reply_markup") or None) == message.get("reply_markup"):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_answercallbackquery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    async def _m_answerinlinequery(self, params: dict) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        results = params.get("results")
        if not isinstance(results, list):
            raise bad("RESULTS_INVALID")
        if len(results) > 50:
            raise bad("RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise bad("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad("RESULT_ID_DUPLICATE")
        for result in results:
            if not result.get("title"):
                raise bad("RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            self._message_text(
                {"text": content.get("message_text"), "parse_mode": content.get("parse_mode")}
            )
            self._check_markup(result.get("reply_markup"))
        self._open_queries.discard(query_id)
        return True

    # -- validation helpers --------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> dict:
        try:
            chat = self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise bad("chat not found")
        if chat["id"] in self.migrated:
            # What Telegram answers for a group that became a supergroup.
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat["id"]]},
            )
        return chat

    @staticmethod
    def _message_text(params: dict) -> tuple[str, list[dict]]:
        raw = params.get("text")
        if raw is None or raw == "":
            raise bad("message text is empty")
        raw = str(raw)
        mode = str(params.get("parse_mode") or "").upper()
        if mode == "HTML":
            text, entities = parse_html(raw)
        elif mode:
            raise bad(f"unsupported parse_mode {mode!r} in this fake")
        else:
            text, entities = raw, []
        if not text.strip():
            raise bad("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad("message is too long")
        return text, entities

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup:
            return
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise bad("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad("BUTTON_DATA_INVALID")

    def _own_message(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        message = self.messages.get((chat["id"], int(params.get("message_id") or 0)))
        if message is None:
            raise bad("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad("message can't be edited")
        return message

    def _new_message(self, chat: dict, sender: dict, text: str, entities: list[dict]) -> dict:
        ids = self._message_ids.setdefault(chat["id"], itertools.count(1))
        message: dict[str, Any] = {
            "message_id": next(ids),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": text,
        }
        if entities:
            message["entities"] = entities
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    # -- test controls -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        code: int = 400,
        description: str = "Bad Request",
        parameters: dict | None = None,
        when: Callable[[dict], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (matching `when`) with an error."""
        error = ApiError(code, description, parameters)
        injection = _Injection(method.lower(), times, error)
        if when is not None:
            injection.when = when
        self._injections.append(injection)

    def throttle_next_sends(self, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` sendMessage calls get 429 Too Many Requests."""
        self.fail_next(
            "sendMessage",
            times,
            code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
        )

    def reject_html_next(self, times: int = 1) -> None:
        """The next `times` HTML sendMessage calls fail as if the HTML could not be parsed."""
        self.fail_next(
            "sendMessage",
            times,
            description="Bad Request: can't parse entities: Unsupported start tag at byte offset 0",
            when=lambda params: str(params.get("parse_mode", "")).upper() == "HTML",
        )

    # -- updates -------------------------------------------------------------------------------

    @staticmethod
    def user(user_id: int = 1001, first_name: str = "Mette") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "da"}

    def private_chat(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[chat["id"]] = chat
        return chat

    def migrate(self, old: dict, new_id: int) -> dict:
        """A basic group upgraded to a supergroup: the old id answers with the new one."""
        new = self.group_chat(new_id, old.get("title", "Nyhedsklubben"))
        self.migrated[old["id"]] = new_id
        return new

    def group_chat(self, chat_id: int = -1001234567890, title: str = "Nyhedsklubben") -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def forum_chat(self, chat_id: int = -1009876543210, title: str = "Redaktionen") -> dict:
        """A supergroup with topics (a forum)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": True}
        self.chats[chat_id] = chat
        return chat

    def open_topic(self, chat: dict, name: str, *, creator: dict | None = None) -> dict:
        """A forum topic's creation message (the bot's own, unless told); its id is the
        topic's message_thread_id, and every message in the topic replies to it."""
        message = self._new_message(chat, creator or self.bot_user, "", [])
        del message["text"]
        thread = message["message_id"]
        message.update(
            message_thread_id=thread,
            is_topic_message=True,
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        self.topics.add((chat["id"], thread))
        return message

    async def send_topic(
        self, text: str, topic: dict, *, user: dict | None = None, reply_to: dict | None = None
    ) -> dict:
        """A user writes in a forum topic: a reply to `reply_to`, else to its creation."""
        extra = {"message_thread_id": topic["message_thread_id"], "is_topic_message": True}
        message = self.user_message(
            topic["chat"], text, user=user, reply_to=reply_to or topic, extra=extra
        )
        return await self.push({"message": message})

    async def push(self, update: dict) -> dict:
        """Queue an update for getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    def user_message(
        self,
        chat: dict,
        text: str | None,
        *,
        user: dict | None = None,
        reply_to: dict | None = None,
        extra: dict | None = None,
    ) -> dict:
        """A message from a user (stored, so the bot can reply to it) with Telegram's entities."""
        sender = user or self.user()
        message = self._new_message(chat, sender, text or "", message_entities(text or ""))
        if text is None:
            del message["text"]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        return message

    async def send_private(self, text: str | None, *, user: dict | None = None, **kw: Any) -> dict:
        user = user or self.user()
        message = self.user_message(self.private_chat(user), text, user=user, **kw)
        return await self.push({"message": message})

    async def send_group(self, text: str | None, *, user: dict | None = None, **kw: Any) -> dict:
        message = self.user_message(self.group_chat(), text, user=user, **kw)
        return await self.push({"message": message})

    async def press_button(self, message: dict, data: str, *, user: dict | None = None) -> dict:
        query_id = f"cb{next(self._callback_ids)}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user or self.user(),
            "message": message,
            "chat_instance": "42",
            "data": data,
        }
        return await self.push({"callback_query": query})

    async def inline_query(self, query: str, *, user: dict | None = None) -> dict:
        query_id = f"iq{next(self._callback_ids)}"
        self._open_queries.add(query_id)
        inline = {
            "id": query_id,
            "from": user or self.user(),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        return await self.push({"inline_query": inline})

    def upload(
        self, data: bytes, file_name: str, *, declared_size: int | None = -1, mime: str = ""
    ) -> dict:
        """Store a file as a user's upload; returns the message's `document` object.

        `declared_size` is the file_size Telegram reports: the real size by default, None to
        leave it out (the field is optional), or any number to test the bot's own check.
        """
        number = next(self._file_ids)
        file_id = f"doc{number}"
        suffix = file_name[file_name.rfind(".") :] if "." in file_name else ""
        self.files[file_id] = {"data": data, "file_path": f"documents/file_{number}{suffix}"}
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name}
        if mime:
            document["mime_type"] = mime
        if declared_size is not None:
            document["file_size"] = len(data) if declared_size == -1 else declared_size
        return document

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        *,
        user: dict | None = None,
        caption: str | None = None,
        declared_size: int | None = -1,
    ) -> dict:
        """A user sends a file in their private chat with the bot."""
        extra: dict[str, Any] = {
            "document": self.upload(data, file_name, declared_size=declared_size)
        }
        if caption is not None:
            extra["caption"] = caption
        return await self.send_private(None, user=user, extra=extra)

    # -- waiting and reading -------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower() and (ok is None or c.ok == ok)
        ]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls, optionally to one chat."""
        return [
            c
            for c in self.calls_to("sendMessage", ok=True)
            if chat_id is None or int(c.params["chat_id"]) == chat_id
        ]

    async def wait_for(
        self, predicate: Callable[[list[Call]], Any], *, timeout: float = 5.0, what: str = ""
    ) -> Any:
        """Wait until predicate(calls) is truthy and return its value; fail after `timeout`."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: predicate(self.calls)), timeout
                )
            except TimeoutError:
                seen = "\n".join(f"  {c.method} {c.status} {c.params}" for c in self.calls)
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what or predicate}; calls:\n{seen}"
                ) from None
            return predicate(self.calls)

    async def wait_sent(self, count: int = 1, *, chat_id: int | None = None, **kw: Any) -> Call:
        """Wait for the `count`-th successful sendMessage (to `chat_id`) and return it."""
        sent = await self.wait_for(
            lambda _: (s := self.sent(chat_id)) and len(s) >= count and s,
            what=f"{count} sendMessage to {chat_id}",
            **kw,
        )
        return sent[count - 1]

    async def wait_call(self, method: str, *, count: int = 1, **kw: Any) -> Call:
        calls = await self.wait_for(
            lambda _: len(self.calls_to(method)) >= count and self.calls_to(method),
            what=f"{count} {method}",
            **kw,
        )
        return calls[count - 1]


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    """Undo python-telegram-bot's encoding: non-string values are sent JSON-dumped."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STRING_FIELDS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if kind == "application/x-www-form-urlencoded":
        return _decode(dict(parse_qsl(body.decode(), keep_blank_values=True)))
    if kind == "multipart/form-data":
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and part.get_filename() is None:
                fields[name] = part.get_content()
        return _decode(fields)
    return {}


def texts(calls: Iterable[Call]) -> list[str]:
    return [c.text for c in calls]
