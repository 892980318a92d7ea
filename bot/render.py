"""Texts and markup for the bot, built from knowledge records. Pure: no I/O, no network.

Every piece of user or article text goes through `html.escape`; only tags Telegram's HTML
parse mode supports are produced (b, i, a, blockquote). No message exceeds MAX_MESSAGE
visible characters (counted in UTF-16 code units, as Telegram does).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from faktabot.knowledge.feeds import Feed
from faktabot.knowledge.model import Article, Fact, Hit, Passage, Result
from faktabot.knowledge.service import MAX_QUESTION
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)

MAX_MESSAGE = 4096  # Telegram's limit on a message's text after entity parsing
MAX_ALTERNATIVES = 3
MAX_INLINE_RESULTS = 50
ELLIPSIS = "…"

EXAMPLES = (
    "Hvem er talsmand for Pentagon?",
    "Hvor mange gidsler er der i Gaza?",
    "Hvem er Israels premierminister?",
)

# (command, description) for set_my_commands; descriptions are shown in Telegram's menu.
COMMANDS = (
    ("start", "Kom i gang"),
    ("help", "Sådan bruger du mig"),
    ("spoerg", "Stil et spørgsmål (også i grupper)"),
    ("kilder", "Se de artikler, jeg kender"),
    ("nyt", "De nyeste artikler"),
    ("om", "Hvad er faktabot, og hvordan svarer den?"),
    ("hvorfor", "Hvorfor fik jeg det svar? (svar på mit svar)"),
)

ABOUT = (
    "Jeg er <b>faktabot</b>. Jeg svarer kun med en sætning, der står ordret i en af de "
    "nyhedsartikler, jeg har læst – jeg finder aldrig selv på noget.\n\n"
    "Finder jeg ikke et sikkert svar, siger jeg det ærligt og viser de sætninger, der "
    "kommer tættest på. Under hvert svar står kilden, så du selv kan tjekke det.\n\n"
    "Se artiklerne med /kilder."
)
UNKNOWN_COMMAND = "Den kommando kender jeg ikke. Skriv /help for at se, hvad jeg kan."
NOT_TEXT = "Jeg kan kun læse tekst 🙂 Skriv dit spørgsmål som en almindelig besked."
ASK_HINT = "Skriv dit spørgsmål efter kommandoen, fx:\n/spoerg Hvem er talsmand for Pentagon?"
FLOOD_NOTICE = "Hov, det går stærkt! Vent et øjeblik, så svarer jeg igen 🙂"
ERROR = "Noget gik galt – prøv igen om lidt."
FACT_GONE = "Den sætning findes ikke længere."
NO_ARTICLES = "Jeg kender ingen artikler endnu."
MORE_BUTTON = "Mere"
NOTHING_BEFORE = (
    "Jeg har ikke svaret på noget endnu i denne samtale 🙂 "
    "Stil et spørgsmål, så kan du bagefter bede om mere."
)

# Replies to small talk, by intent (`knowledge/data/smalltalk.txt`); each points back to
# what the bot does. Out-of-scope requests get OUT_OF_SCOPE after their own first line.
SMALL_TALK = {
    "greeting": "Hej! 👋 Stil mig et spørgsmål om nyhederne, så svarer jeg med den præcise "
    f"sætning fra en artikel. Fx: <i>{EXAMPLES[0]}</i>",
    "thanks": "Selv tak! Spørg bare igen, hvis der er mere, du vil vide 🙂",
    "goodbye": "Farvel og tak for snakken 👋 Du er velkommen tilbage, når du vil vide mere.",
    "about": "Jeg er <b>faktabot</b>: jeg svarer på spørgsmål om nyhedsartikler med den "
    "sætning, der står ordret i artiklen, og viser kilden. Skriv /help for at se hvordan, "
    "og /kilder for at se artiklerne.",
    "praise": "Tak, det er jeg glad for at høre 😊",
    "complaint": "Øv, det er jeg ked af. Prøv at stille spørgsmålet med andre ord – eller "
    "svar på mit svar med /hvorfor for at se, hvordan jeg læste det. 👎 under et svar "
    "hjælper også med at gøre mig bedre.",
}
OUT_OF_SCOPE_FIRST = {
    "time": "Jeg kan ikke se, hvad klokken er.",
    "date": "Jeg holder ikke øje med kalenderen.",
    "weather": "Jeg kender ikke vejret.",
    "arithmetic": "Jeg regner ikke.",
    "joke": "Vittigheder er ikke min stærke side.",
    "opinion": "Jeg har ingen holdninger og giver ikke råd.",
    "write": "Jeg skriver og oversætter ikke tekster.",
}
OUT_OF_SCOPE = (
    "Jeg svarer kun med sætninger fra de nyhedsartikler, jeg kender, og finder aldrig selv "
    "på noget. Spørg mig om noget, der står i dem – /kilder viser hvilke."
)

_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]", re.DOTALL)
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")


# --- measuring and cutting -------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest prefix of `text` that is at most `units` UTF-16 code units long."""
    if utf16_len(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(ch)
        used += size
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters with "…"."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    head = _cut(text, limit - 1)
    if " " in head[limit // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,.;:–-") + ELLIPSIS


def visible_len(html_text: str) -> int:
    """How many UTF-16 units Telegram will count for this HTML after parsing entities."""
    return utf16_len(html.unescape(_ANY_TAG.sub("", html_text)))


def truncate_html(html_text: str, limit: int = MAX_MESSAGE) -> str:
    """Cut well-formed HTML to `limit` visible units, never inside a tag or an entity.

    Tags still open at the cut are closed, and "…" marks the cut.
    """
    if visible_len(html_text) <= limit:
        return html_text
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    for token in _TOKEN.findall(html_text):
        if token.startswith("<"):
            name = _TAG_NAME.match(token)
            if name is None:
                continue
            if token.startswith("</"):
                if open_tags and open_tags[-1] == name.group(1):
                    open_tags.pop()
            else:
                open_tags.append(name.group(1))
            out.append(token)
            continue
        size = utf16_len(html.unescape(token))
        if used + size > limit - 1:
            break
        out.append(token)
        used += size
    out.append(ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def to_plain(html_text: str) -> str:
    """The same message as plain text: links as "text (url)", quotes in »«, no tags."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if html.unescape(label) == url else f"{label} ({url})"

    text = _LINK.sub(link, html_text)
    text = text.replace("<blockquote>", "»").replace("</blockquote>", "«")
    text = html.unescape(_ANY_TAG.sub("", text))
    return _cut(text, MAX_MESSAGE)


# --- small pieces ----------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def format_date(date: str | None) -> str | None:
    """ "2024-03-25" → "25. marts 2024", "2024-03" → "marts 2024"; anything else as given."""
    if not date:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?", date.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return date.strip()
    year, month, day = match.group(1), _MONTHS[int(match.group(2)) - 1], match.group(3)
    return f"{int(day)}. {month} {year}" if day else f"{month} {year}"


def _safe_url(url: str | None) -> str | None:
    if url and re.match(r"(?i)^(https?|tg)://\S+$", url.strip()):
        return url.strip()
    return None


def article_title(article: Article, limit: int = 100) -> str:
    return shorten(article.title or "", limit) or f"Artikel {article.id}"


def source_html(article: Article) -> str:
    """One line naming where a sentence comes from: title (linked when known) and date."""
    title = esc(article_title(article))
    url = _safe_url(article.url)
    line = f'<a href="{esc(url)}">{title}</a>' if url else title
    date = format_date(article.date)
    if date:
        line += f", {esc(date)}"
    return f"Kilde: {line}"


def _bolded(text: str, span: tuple[int, int] | None) -> str:
    if span is None:
        return esc(text)
    start, end = span
    if not 0 <= start < end <= len(text):
        return esc(text)
    return f"{esc(text[:start])}<b>{esc(text[start:end])}</b>{esc(text[end:])}"


def _clip(
    text: str, span: tuple[int, int] | None, budget: int
) -> tuple[str, tuple[int, int] | None]:
    """Shorten `text` to `budget` UTF-16 units, keeping the span in view where possible."""
    if utf16_len(text) <= budget:
        return text, span
    budget = max(budget, 2)
    valid = span is not None and 0 <= span[0] < span[1] <= len(text)
    if not valid or utf16_len(text[: span[1]]) <= budget - 1:
        head = _cut(text, budget - 1)
        if valid and span[1] > len(head):
            span = None
        return head + ELLIPSIS, span if valid else None
    # The span lies beyond the cut: show a window that ends with the span.
    start, end = span
    window = _cut(text[start:end], budget - 2)
    if len(window) < end - start:  # the span alone is too long
        return ELLIPSIS + window + ELLIPSIS, (1, 1 + len(window))
    room = budget - 2 - utf16_len(window)
    before = text[:start]
    lead = before[len(before) - len(_cut(before[::-1], room)) :] if room else ""
    after = _cut(text[end:], room - utf16_len(lead))
    clipped = ELLIPSIS + lead + window + after + ELLIPSIS
    return clipped, (1 + len(lead), 1 + len(lead) + len(window))


def _quoted(text: str, span: tuple[int, int] | None, rest_html: str, lead_html: str = "") -> str:
    """`lead_html`, a blockquote of `text` (span bold) and `rest_html`, within MAX_MESSAGE."""
    lead_html = f"{lead_html}\n" if lead_html else ""
    budget = MAX_MESSAGE - visible_len(lead_html + rest_html) - 1
    text, span = _clip(text, span, budget)
    quote = f"<blockquote>{_bolded(text, span)}</blockquote>"
    return truncate_html(f"{lead_html}{quote}\n{rest_html}")


# Answers to these kinds of question go stale as news moves on: they say how old they are.
DATED_KINDS = frozenset({"time", "number"})


def dated_lead(result: Result) -> str:
    """ "Ifølge artiklen fra 25. marts 2024:" before a when or how-many answer."""
    date = format_date(result.answer.fact.article.date) if result.answer else None
    if not date or result.explanation.answer_type not in DATED_KINDS:
        return ""
    return f"Ifølge artiklen fra {esc(date)}:"


def _source_text(article: Article) -> str:
    date = format_date(article.date)
    title = article_title(article, 80)
    return f"{title}, {date}" if date else title


def _fact_label(fact: Fact, limit: int = 48) -> str:
    return shorten(fact.text, limit) or f"Sætning {fact.id}"


# --- messages --------------------------------------------------------------------------------


def question_problem(text: str | None, limit: int = MAX_QUESTION) -> str | None:
    """A friendly reply (HTML) when `text` cannot be a question, else None."""
    question = (text or "").strip()
    if not question:
        return f"Skriv et spørgsmål, så finder jeg svaret i mine artikler. Fx: <i>{EXAMPLES[0]}</i>"
    if len(question) > limit:
        return (
            f"Dit spørgsmål er for langt ({len(question)} tegn). "
            f"Skriv det gerne kortere – højst {limit} tegn."
        )
    if not any(ch.isalnum() for ch in question):
        return f"Det forstod jeg ikke. Skriv dit spørgsmål med ord, fx: <i>{EXAMPLES[1]}</i>"
    return None


_PROBLEMS = {
    "empty": question_problem(""),
    "too_long": f"Dit spørgsmål er for langt. Skriv det gerne kortere – højst {MAX_QUESTION} tegn.",
    "no_words": question_problem("?"),
}


def help_html(username: str | None = None) -> str:
    examples = "\n".join(f"• {esc(e)}" for e in EXAMPLES)
    lines = [
        "Hej! Jeg er faktabot 👋",
        "Stil mig et spørgsmål på dansk, så svarer jeg med den præcise sætning fra en "
        "nyhedsartikel – eller siger ærligt, at jeg ikke ved det.",
        "",
        f"Prøv fx:\n{examples}",
        "",
        "Du kan spørge videre til et svar, fx <i>og hvornår?</i> eller <i>hvem er han?</i>, "
        "og trykke <b>Mere</b> for at se sætningerne omkring det.",
        "",
    ]
    if username:
        name = esc(username)
        lines.append(f"I grupper: /spoerg dit spørgsmål, eller nævn mig med @{name}.")
        lines.append(f"I alle chats: skriv @{name} og dit spørgsmål.")
    else:
        lines.append("I grupper: /spoerg dit spørgsmål.")
    lines.append("/kilder viser artiklerne, /om fortæller, hvordan jeg svarer.")
    return "\n".join(lines)


def fact_html(fact: Fact) -> str:
    """A sentence quoted verbatim, with its source."""
    return _quoted(fact.text, None, source_html(fact.article))


def answer_html(result: Result) -> str:
    """The answer sentence quoted with the answering words bold, and its source."""
    if result.answer is None:
        return no_answer_html(result)
    answer = result.answer
    rest = source_html(answer.fact.article)
    if result.about:
        rest = f"<i>(om {esc(shorten(result.about, 60))})</i>\n{rest}"
    corrected = [(a, b) for a, b in result.explanation.corrected if a and b and a != b][:3]
    if corrected:
        words = ", ".join(f"«{esc(a)}» som «{esc(b)}»" for a, b in corrected)
        rest += f"\n<i>(Jeg læste {words}.)</i>"
    return _quoted(answer.fact.text, answer.span, rest, dated_lead(result))


def _closest(result: Result, limit: int = MAX_ALTERNATIVES) -> list[Hit]:
    seen: set[int] = set()
    hits = []
    for hit in result.alternatives:
        if hit.fact.id not in seen:
            seen.add(hit.fact.id)
            hits.append(hit)
        if len(hits) == limit:
            break
    return hits


def no_answer_html(result: Result, *, with_buttons: bool = True) -> str:
    """'I don't know', what was missing, and the closest facts (as buttons or listed)."""
    lines = ["Det ved jeg ikke 🤷 Det står ikke i de artikler, jeg kender."]
    missing = list(dict.fromkeys(w for w in result.explanation.missing if w.strip()))[:5]
    if missing:
        lines.append("Jeg fandt intet om: " + ", ".join(f"<i>{esc(w)}</i>" for w in missing) + ".")
    closest = _closest(result)
    if closest and with_buttons:
        lines.append("\nMåske hjælper en af disse sætninger:")
    elif closest:
        lines.append("\nDet nærmeste, jeg har fundet:")
        for number, hit in enumerate(closest, 1):
            quote = esc(shorten(hit.fact.text, 400))
            lines.append(f"{number}. «{quote}»\n   {source_html(hit.fact.article)}")
    return truncate_html("\n".join(lines))


def reply_html(result: Result, *, with_buttons: bool = True) -> str:
    """The message for a chat message's result: an answer or not, small talk, or "mere"."""
    if result.problem is not None:
        return _PROBLEMS.get(result.problem) or question_problem("") or ""
    if result.intent is not None:
        return intent_html(result)
    if result.answer is not None:
        return answer_html(result)
    return no_answer_html(result, with_buttons=with_buttons)


def intent_html(result: Result) -> str:
    """The reply to small talk, to an out-of-scope request, or to "mere"."""
    intent = result.intent
    assert intent is not None
    if intent.kind == "conversation":
        return passage_html(result.passage) if result.passage else NOTHING_BEFORE
    if intent.kind == "out_of_scope":
        first = OUT_OF_SCOPE_FIRST.get(intent.name, "Det kan jeg ikke hjælpe med.")
        return f"{first} {OUT_OF_SCOPE}"
    return SMALL_TALK.get(intent.name, SMALL_TALK["about"])


def passage_html(passage: Passage) -> str:
    """An answer's sentence among its neighbours, quoted in order, the answer in bold."""
    source = source_html(passage.facts[0].article)
    budget = MAX_MESSAGE - visible_len(source) - 2
    parts = []
    for fact in passage.facts:
        text = shorten(fact.text, max(budget // len(passage.facts), 40))
        parts.append(f"<b>{esc(text)}</b>" if fact.id == passage.focus else esc(text))
    return truncate_html(f"<blockquote>{' '.join(parts)}</blockquote>\n{source}")


def keyboard_rows(
    hits: Iterable[Hit], limit: int = MAX_ALTERNATIVES
) -> list[list[InlineKeyboardButton]]:
    """One button per fact; pressing it shows the fact (callback data "f:<fact id>")."""
    rows, seen = [], set()
    for hit in hits:
        if hit.fact.id in seen:
            continue
        seen.add(hit.fact.id)
        rows.append([InlineKeyboardButton(_fact_label(hit.fact), callback_data=f"f:{hit.fact.id}")])
        if len(rows) == limit:
            break
    return rows


def reply_markup(result: Result, asked_id: int | None = None) -> InlineKeyboardMarkup | None:
    """Buttons for the closest facts when there is no answer; under an answer 👍/👎 (when
    it was logged) and "Mere"."""
    if result.answer is not None:
        return vote_markup(asked_id, more=result.answer.fact.id)
    if result.intent is not None:
        return None
    rows = keyboard_rows(result.alternatives)
    return InlineKeyboardMarkup(rows) if rows else None


def vote_markup(asked_id: int | None, *, more: int | None = None) -> InlineKeyboardMarkup:
    """👍 and 👎 ("v:+:<asked id>", "v:-:<asked id>"), and below them "Mere" ("m:<fact id>")."""
    rows = []
    if asked_id is not None:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"v:+:{asked_id}"),
                InlineKeyboardButton("👎", callback_data=f"v:-:{asked_id}"),
            ]
        )
    if more is not None:
        rows.append([InlineKeyboardButton(MORE_BUTTON, callback_data=f"m:{more}")])
    return InlineKeyboardMarkup(rows)


def voted_markup(asked_id: int, up: bool, *, more: int | None = None) -> InlineKeyboardMarkup:
    """After a vote: thanks on the chosen button, the other one to change one's mind, and
    "Mere" still below."""
    mine, other = ("+", "-") if up else ("-", "+")
    thumb = {"+": "👍", "-": "👎"}
    rows = [
        [
            InlineKeyboardButton(
                f"Tak for din feedback {thumb[mine]}", callback_data=f"v:{mine}:{asked_id}"
            ),
            InlineKeyboardButton(
                f"Skift til {thumb[other]}", callback_data=f"v:{other}:{asked_id}"
            ),
        ]
    ]
    if more is not None:
        rows.append([InlineKeyboardButton(MORE_BUTTON, callback_data=f"m:{more}")])
    return InlineKeyboardMarkup(rows)


def more_button_fact(markup: InlineKeyboardMarkup | None) -> int | None:
    """The fact id behind a message's "Mere" button, if it has one."""
    buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
    for button in buttons:
        data = button.callback_data if isinstance(button.callback_data, str) else ""
        if data.startswith("m:"):
            return parse_fact_button(data)
    return None


def parse_vote_button(data: str | None) -> tuple[bool, int] | None:
    """(up, asked id) from a vote button's callback data, or None."""
    match = re.fullmatch(r"v:([+-]):(\d{1,18})", data or "")
    return (match.group(1) == "+", int(match.group(2))) if match else None


def parse_fact_button(data: str | None) -> int | None:
    """The fact id in a fact or "Mere" button's callback data, or None."""
    match = re.fullmatch(r"[fm]:(\d{1,18})", data or "")
    return int(match.group(1)) if match else None


def plain_answer(result: Result) -> str:
    """The reply as plain text, for the console."""
    return to_plain(reply_html(result, with_buttons=False))


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """News is read newest first: by publication date, then the latest added."""
    return sorted(articles, key=lambda a: (a.date or "", a.id), reverse=True)


def articles_html(articles: Sequence[Article]) -> str:
    """The indexed articles, newest first, with their sentence counts, as many as fit in
    one message."""
    if not articles:
        return NO_ARTICLES
    articles = newest_first(articles)
    noun = "artikel" if len(articles) == 1 else "artikler"
    lines = [f"Jeg kender {len(articles)} {noun}:"]
    room = MAX_MESSAGE - visible_len(lines[0]) - 40  # keep room for "… og N flere."
    for shown, article in enumerate(articles):
        line = f"• {source_html(article).removeprefix('Kilde: ')} – {_count(article)}"
        room -= visible_len(line) + 1
        if room < 0:
            lines.append(f"… og {len(articles) - shown} flere.")
            break
        lines.append(line)
    return truncate_html("\n".join(lines))


def latest_html(articles: Sequence[Article]) -> str:
    """/nyt: the newest articles, as the store ordered them."""
    if not articles:
        return NO_ARTICLES
    lines = ["<b>De nyeste artikler:</b>"]
    lines += [f"• {source_html(a).removeprefix('Kilde: ')} – {_count(a)}" for a in articles]
    return truncate_html("\n".join(lines))


FOLLOW_HINT = (
    "Skriv /folg og adressen på et RSS- eller Atom-feed, "
    "fx <code>/folg https://example.dk/rss</code>."
)
UNFOLLOW_HINT = "Skriv /stopfolg og feedets adresse. Se dem med /feeds."
NO_FEEDS = "Jeg følger ingen feeds. Tilføj et med /folg og feedets adresse."
# A feed's status (knowledge.feeds) as a reader would say it.
FEED_STATUS = {
    "new": "⏳ ikke hentet endnu",
    "ok": "✅ ok",
    "unchanged": "✅ uændret",
    "empty": "⚠️ tomt feed",
    "invalid": "⚠️ ikke et brugbart feed",
    "error": "❌ fejl",
}


def followed_html(url: str) -> str:
    return f"Jeg følger nu {esc(url)}.\nDet hentes ved næste runde; se status med /feeds."


def not_followed_html(url: str) -> str:
    return f"Jeg følger ikke {esc(shorten(url, 200))}. Se de feeds, jeg følger, med /feeds."


def unfollowed_html(feed: Feed) -> str:
    noun = "artikel" if feed.articles == 1 else "artikler"
    return f"Jeg følger ikke længere {esc(feed.url)}.\nDens {feed.articles} {noun} bliver."


def feeds_html(feeds: Sequence[Feed], *, now: datetime) -> str:
    """/feeds: each feed's status, when it last worked, and what it brought."""
    if not feeds:
        return NO_FEEDS
    lines = [f"<b>Feeds ({len(feeds)}):</b>"]
    for feed in feeds:
        status = FEED_STATUS.get(feed.status, esc(feed.status))
        noun = "artikel" if feed.articles == 1 else "artikler"
        when = _ago(feed.succeeded, now) if feed.succeeded else "aldrig"
        lines.append(
            f"• {esc(shorten(feed.title or feed.url, 80))}\n  {esc(feed.url)}\n"
            f"  {status} · {feed.articles} {noun} · sidst hentet: {when}"
        )
        if feed.status in {"error", "invalid", "empty"} and feed.detail:
            lines.append(f"  <i>{esc(shorten(feed.detail, 200))}</i>")
    return truncate_html("\n".join(lines))


def _ago(stamp: str, now: datetime) -> str:
    """ "2024-03-25 10:00:00" (UTC) as "for 5 min. siden"."""
    try:
        then = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return esc(stamp)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "lige nu"
    if seconds < 3600:
        return f"for {seconds // 60} min. siden"
    if seconds < 86_400:
        return f"for {seconds // 3600} t. siden"
    return f"for {seconds // 86_400} d. siden"


def _count(article: Article) -> str:
    return f"{article.facts} sætning{'' if article.facts == 1 else 'er'}"


# --- inline mode -----------------------------------------------------------------------------


def _content(html_text: str) -> InputTextMessageContent:
    return InputTextMessageContent(
        html_text, parse_mode="HTML", link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def inline_fact_results(hits: Iterable[Hit]) -> list[InlineQueryResultArticle]:
    """Inline results that each send one quoted sentence with its source."""
    results, seen = [], set()
    for hit in hits:
        fact = hit.fact
        if fact.id in seen:
            continue
        seen.add(fact.id)
        results.append(
            InlineQueryResultArticle(
                id=f"f:{fact.id}",
                title=shorten(fact.text, 100) or f"Sætning {fact.id}",
                description=_source_text(fact.article),
                input_message_content=_content(fact_html(fact)),
            )
        )
        if len(results) == MAX_INLINE_RESULTS:
            break
    return results


def inline_article_results(articles: Iterable[Article]) -> list[InlineQueryResultArticle]:
    """Inline results listing the indexed articles, newest first (for an empty inline query)."""
    results = []
    for article in newest_first(articles):
        date = format_date(article.date)
        about = f"{date} · {_count(article)}" if date else _count(article)
        body = f"<b>{esc(article_title(article, 200))}</b>\n{esc(about)}"
        url = _safe_url(article.url)
        if url:
            body += f'\n<a href="{esc(url)}">{esc(shorten(url, 200))}</a>'
        results.append(
            InlineQueryResultArticle(
                id=f"a:{article.id}",
                title=article_title(article),
                description=about,
                input_message_content=_content(truncate_html(body)),
            )
        )
        if len(results) == MAX_INLINE_RESULTS:
            break
    return results
