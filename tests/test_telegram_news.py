"""Feeds in the running bot, end to end: the real Application polls the fake Bot API, and
its polling job fetches RSS feeds and article pages from a local web site on 127.0.0.1.

Every bot here keeps its knowledge in a database file (a round runs in a thread on its own
connection, as in production) and polls every second, so a change on the site is seen
within about a second, without a restart. Nothing is mocked: the tests change the site and
wait for the bot's database, its replies or its health endpoint to show it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from fake_bot_api import FakeBotApi, parse_html
from faktabot.bot import render
from faktabot.bot.admin import ONLY_ADMINS
from faktabot.bot.app import build_application
from faktabot.bot.config import Config
from faktabot.knowledge import Knowledge
from faktabot.knowledge.feeds import Feed, feeds
from faktabot.knowledge.feeds import follow as follow_feed
from prometheus_client.parser import text_string_to_metric_families
from telegram_fixtures import PENTAGON, TOKEN, Harness, StartBot, free_port
from web_server import WebSite, page, rss

ADMIN = FakeBotApi.user(4242, "Anne")
READER = FakeBotApi.user(5151, "Bo")
INTERVAL = 1  # seconds between polling rounds (FAKTABOT_FEED_INTERVAL)
ROUND_WAIT = 4.0  # generous for one round (at most INTERVAL away) on a busy machine

T = TypeVar("T")

# The tests' own news briefs: (title, paragraphs, date). Dates lie in the past, because the
# page's date is only believed when it is not in the future.
FERRY = (
    "Færgen til Fur sejler igen",
    [
        "Færgen mellem Branden og Fur sejler igen efter en uges reparation.",
        "Motoren blev skiftet for 2,1 millioner kroner, oplyser Skive Kommune.",
    ],
    "2025-08-18",
)
BRIDGE = (
    "Ny bro over Aggersund åbner",
    [
        "Den nye bro over Limfjorden ved Aggersund åbnede søndag for biltrafik.",
        "Broen er 340 meter lang og kostede 410 millioner kroner.",
        "Vejdirektoratet venter, at 9.000 biler kører over den hver dag.",
    ],
    "2025-08-24",
)
BRIDGE_QUESTION = "Hvor lang er den nye bro over Limfjorden?"
BRIDGE_ANSWER = "Broen er 340 meter lang og kostede 410 millioner kroner."

FIRE_BEFORE = "Omkring 130 brandfolk kæmper mod flammerne, oplyser Nordjyllands Beredskab."
FIRE_AFTER = "Omkring 100 brandfolk kæmper mod flammerne, oplyser Nordjyllands Beredskab."


def fire(figure_sentence: str) -> tuple[str, list[str], str]:
    return (
        "Skovbrand i Rold Skov",
        [
            "En skovbrand i Rold Skov har nu brændt i tre døgn.",
            figure_sentence,
            "Vinden har drejet mod øst, og en lejrskole er evakueret.",
        ],
        "2025-07-02",
    )


FIRE_QUESTION = "Hvor mange brandfolk kæmper mod skovbranden i Rold Skov?"

# For /nyt: the newer story is published first, the older one is added to the feed later
# (a late story about an earlier day), so the newest-first order is by date, not by arrival.
STARLINGS = (
    "Rekordmange stære over Ribe",
    [
        "Over en million stære dansede lørdag aften over marsken syd for Ribe.",
        "Naturguiderne har aldrig talt så mange fugle i oktober.",
    ],
    "2025-10-04",
)
ZOO = (
    "Ny direktør for Aalborg Zoo",
    [
        "Aalborg Zoo har ansat Mette Kragh som ny direktør.",
        "Hun kommer fra en stilling som leder af Randers Regnskov og tiltræder 1. november.",
    ],
    "2025-09-15",
)

WATERWORKS = (
    "Nyt vandværk i Hobro",
    [
        "Hobro Vandværk har taget en ny boring i brug ved Øster Kringelbæk.",
        "Boringen er 86 meter dyb og giver 120 kubikmeter vand i timen.",
    ],
    "2025-06-11",
)
WATERWORKS_QUESTION = "Hvor dyb er boringen ved Hobro?"
WATERWORKS_ANSWER = "Boringen er 86 meter dyb og giver 120 kubikmeter vand i timen."


# --- the web site, the bot and waiting ---------------------------------------------------------


@pytest.fixture
def site() -> Iterator[WebSite]:
    web = WebSite().start()
    yield web
    web.close()


@pytest.fixture
async def bot(site: WebSite, start_bot: StartBot, tmp_path: Path) -> Harness:
    """A bot on a database file that polls its feeds every INTERVAL seconds (it depends on
    `site`, so the site is closed only after the bot has stopped)."""
    kb = Knowledge.open(tmp_path / "news.db")
    return await start_bot(
        knowledge=kb, admins=frozenset({ADMIN["id"]}), feed_interval=INTERVAL, fetch_private=True
    )


def put_article(site: WebSite, path: str, article: tuple[str, list[str], str]) -> str:
    """Serve an article page; its address."""
    title, paragraphs, date = article
    return site.put(path, page(title, paragraphs, date=date))


def put_feed(site: WebSite, path: str, items: list[tuple[str, str, str]]) -> str:
    """Serve an RSS feed of (title, link, pubDate) items; its address."""
    return site.put(path, rss("Testavisen", items), content_type="application/rss+xml")


def pub_date(day: str, hour: int = 8) -> str:
    """An RSS pubDate (RFC 822) for a YYYY-MM-DD day."""
    return format_datetime(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC))


async def until(check: Callable[[], T], *, timeout: float = ROUND_WAIT, what: str) -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
    return value


def feed_of(bot: Harness, url: str) -> Feed | None:
    return next((f for f in feeds(bot.kb.store) if f.url == url), None)


def has_status(bot: Harness, url: str, status: str) -> Feed | None:
    found = feed_of(bot, url)
    return found if found is not None and found.status == status else None


def stored_urls(bot: Harness) -> set[str | None]:
    return {a.url for a in bot.kb.store.articles()}


async def say(bot: Harness, text: str, user: dict = ADMIN) -> str:
    """A private message from `user`; the bot's reply as sent (HTML)."""
    return (await bot.ask_private(text, user=user)).text


async def follow(bot: Harness, url: str) -> None:
    assert await say(bot, f"/folg {url}") == render.followed_html(url)


def quoted(reply_html: str) -> str:
    """The plain text of the reply's <blockquote> (the quoted sentence)."""
    assert "<blockquote>" in reply_html, reply_html
    inner = reply_html.split("<blockquote>", 1)[1].split("</blockquote>", 1)[0]
    return parse_html(inner)[0]


def feed_lines(feeds_reply: str) -> dict[str, str]:
    """/feeds as plain text: each feed's block, by its address (the block's second line)."""
    blocks = parse_html(feeds_reply)[0].split("\n• ")[1:]
    return {block.splitlines()[1].strip(): block for block in blocks}


# --- new and corrected articles ----------------------------------------------------------------


async def test_a_new_item_in_a_followed_feed_is_answered_within_a_round(
    bot: Harness, site: WebSite
) -> None:
    ferry = put_article(site, "/nyheder/faerge.html", FERRY)
    feed = put_feed(site, "/rss.xml", [(FERRY[0], ferry, pub_date(FERRY[2]))])
    await follow(bot, feed)
    await until(lambda: ferry in stored_urls(bot), what="the first round")
    # Asked before the story exists: declined (and the bot has looked the database up once).
    assert (await say(bot, BRIDGE_QUESTION, READER)).startswith("Det ved jeg ikke")

    bridge = put_article(site, "/nyheder/bro.html", BRIDGE)
    put_feed(
        site,
        "/rss.xml",
        [(BRIDGE[0], bridge, pub_date(BRIDGE[2])), (FERRY[0], ferry, pub_date(FERRY[2]))],
    )
    published = time.monotonic()
    await until(lambda: bridge in stored_urls(bot), what="the new item's article")
    assert time.monotonic() - published < INTERVAL + 2  # the next round, not some later one

    reply = await say(bot, BRIDGE_QUESTION, READER)
    assert BRIDGE_ANSWER in quoted(reply)
    assert f'Kilde: <a href="{bridge}">{BRIDGE[0]}</a>' in reply
    assert site.hits["/nyheder/faerge.html"] == 1, "a known, unchanged item is not fetched again"
    assert feed_of(bot, feed).articles == 2


async def test_a_corrected_article_replaces_the_old_version(bot: Harness, site: WebSite) -> None:
    story = put_article(site, "/nyheder/brand.html", fire(FIRE_BEFORE))
    put_feed(site, "/rss.xml", [("Skovbrand i Rold Skov", story, pub_date("2025-07-02", 8))])
    await follow(bot, site.url("/rss.xml"))
    await until(lambda: story in stored_urls(bot), what="the first version")
    assert FIRE_BEFORE in quoted(await say(bot, FIRE_QUESTION, READER))
    articles = len(bot.kb.store.articles())

    # The newsroom corrects the figure and the feed says the item was updated.
    put_article(site, "/nyheder/brand.html", fire(FIRE_AFTER))
    put_feed(site, "/rss.xml", [("Skovbrand i Rold Skov", story, pub_date("2025-07-02", 14))])

    def corrected() -> bool:
        return any(FIRE_AFTER in bot.kb.store.article_text(a.id) for a in bot.kb.store.articles())

    await until(corrected, what="the corrected version")
    reply = await say(bot, FIRE_QUESTION, READER)
    assert FIRE_AFTER in quoted(reply)
    assert "130" not in parse_html(reply)[0]
    assert len(bot.kb.store.articles()) == articles, "the new version took the old one's place"
    gone = bot.kb.store.db.execute("SELECT count(*) FROM facts WHERE text = ?", [FIRE_BEFORE])
    assert gone.fetchone()[0] == 0
    assert all(FIRE_BEFORE not in bot.kb.store.article_text(a.id) for a in bot.kb.store.articles())


# --- commands ----------------------------------------------------------------------------------


async def test_feed_commands_for_admins_and_nyt_for_everyone(bot: Harness, site: WebSite) -> None:
    starlings = put_article(site, "/nyheder/staere.html", STARLINGS)
    feed = put_feed(site, "/rss.xml", [(STARLINGS[0], starlings, pub_date(STARLINGS[2]))])

    for command in (f"/folg {feed}", "/feeds", f"/stopfolg {feed}"):
        assert await say(bot, command, READER) == ONLY_ADMINS, command
    assert feeds(bot.kb.store) == []
    for wrong in ("/folg", f"/folg {feed} {feed}", "/folg ftp://127.0.0.1/rss", "/folg rss.xml"):
        assert await say(bot, wrong) == render.FOLLOW_HINT, wrong
    assert await say(bot, "/stopfolg") == render.UNFOLLOW_HINT
    assert await say(bot, "/feeds") == render.NO_FEEDS

    await follow(bot, feed)
    assert [f.url for f in feeds(bot.kb.store)] == [feed]
    await follow(bot, feed)  # following it twice is the same as once
    assert [f.url for f in feeds(bot.kb.store)] == [feed]
    # A round records the feed's status before it stores the pages of its items.
    await until(lambda: starlings in stored_urls(bot), what="the first round")
    listed = feed_lines(await say(bot, "/feeds"))
    assert list(listed) == [feed]
    assert listed[feed].startswith("Testavisen\n")  # the feed's own title
    assert "✅ ok · 1 artikel · sidst hentet: lige nu" in listed[feed]

    # A late story about an earlier day arrives after the newer one.
    zoo = put_article(site, "/nyheder/zoo.html", ZOO)
    put_feed(
        site,
        "/rss.xml",
        [(STARLINGS[0], starlings, pub_date(STARLINGS[2])), (ZOO[0], zoo, pub_date(ZOO[2]))],
    )
    await until(lambda: zoo in stored_urls(bot), what="the second article")
    latest = parse_html(await say(bot, "/nyt", READER))[0]
    assert latest.startswith("De nyeste artikler:\n")
    newer = f"{STARLINGS[0]}, {render.format_date(STARLINGS[2])} – 2 sætninger"
    older = f"{ZOO[0]}, {render.format_date(ZOO[2])} – 2 sætninger"
    assert newer in latest and older in latest
    assert latest.index(newer) < latest.index(older)
    seed = next(a for a in bot.kb.store.articles() if a.url not in {starlings, zoo})
    assert latest.index(older) < latest.index(render.article_title(seed))  # 2024: the oldest

    unfollowed = await say(bot, f"/stopfolg {feed}")
    assert unfollowed == f"Jeg følger ikke længere {feed}.\nDens 2 artikler bliver."
    assert await say(bot, "/feeds") == render.NO_FEEDS
    assert {starlings, zoo} <= stored_urls(bot), "the feed's articles stay"
    assert await say(bot, f"/stopfolg {feed}") == render.not_followed_html(feed)


async def test_a_failing_feed_shows_its_error_and_the_bot_keeps_answering(
    bot: Harness, site: WebSite
) -> None:
    missing = site.url("/forsvundet.xml")  # nothing there: 404
    water = put_article(site, "/nyheder/vand.html", WATERWORKS)
    good = put_feed(site, "/rss.xml", [(WATERWORKS[0], water, pub_date(WATERWORKS[2]))])
    await follow(bot, missing)
    await follow(bot, good)
    await until(lambda: has_status(bot, missing, "error"), what="the failed fetch")
    await until(lambda: water in stored_urls(bot), what="the good feed's article")

    listed = feed_lines(await say(bot, "/feeds"))
    assert set(listed) == {missing, good}
    assert "❌ fejl · 0 artikler · sidst hentet: aldrig" in listed[missing]
    assert f"{missing}: HTTP 404 Not Found" in listed[missing]
    assert "✅ ok · 1 artikel" in listed[good]
    assert "HTTP 404" not in listed[good]

    # Its failure costs nothing else: questions about old and new articles are answered.
    assert WATERWORKS_ANSWER in quoted(await say(bot, WATERWORKS_QUESTION, READER))
    assert "Pat Ryder" in quoted(await say(bot, PENTAGON, READER))
    assert feed_of(bot, missing).failures >= 1


# --- health and metrics ------------------------------------------------------------------------


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Prometheus text format → {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_healthz_names_a_stale_feed_and_metrics_count_the_rounds(
    site: WebSite, start_bot: StartBot, tmp_path: Path
) -> None:
    port = free_port()
    kb = Knowledge.open(tmp_path / "health.db")
    bot = await start_bot(
        knowledge=kb,
        admins=frozenset({ADMIN["id"]}),
        feed_interval=INTERVAL,
        health_port=port,
        fetch_private=True,
    )
    missing = site.url("/forsvundet.xml")
    water = put_article(site, "/nyheder/vand.html", WATERWORKS)
    good = put_feed(site, "/rss.xml", [(WATERWORKS[0], water, pub_date(WATERWORKS[2]))])
    await follow(bot, missing)
    await follow(bot, good)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        health = (await client.get("/healthz")).json()
        assert health["feeds"] == {"followed": 2, "stale": []}  # both just followed

        # A feed that never worked is stale after three intervals; the good one is not.
        async def stale() -> list[str]:
            return (await client.get("/healthz")).json()["feeds"]["stale"]

        deadline = time.monotonic() + 3 * INTERVAL + ROUND_WAIT
        while not (named := await stale()):
            assert time.monotonic() < deadline, "no feed was named stale"
            await asyncio.sleep(0.2)
        assert named == [missing]
        response = await client.get("/healthz")
        assert response.status_code == 200, "a stale feed does not make the bot unhealthy"
        assert response.json()["status"] == "ok"
        assert response.json()["feeds"]["followed"] == 2

        values = samples((await client.get("/metrics")).text)
    polls = "faktabot_feed_polls_total"
    assert values[(polls, (("status", "ok"),))] == 1  # then 304s: "unchanged"
    assert values[(polls, (("status", "error"),))] >= 1
    assert values[("faktabot_feed_articles_total", (("outcome", "added"),))] == 1
    assert ("faktabot_feed_articles_total", (("outcome", "failed"),)) not in values
    age = "faktabot_feed_seconds_since_success"
    assert values[(age, (("feed", missing),))] > 3 * INTERVAL
    assert values[(age, (("feed", good),))] < 3 * INTERVAL


@pytest.mark.parametrize("hanging", ["pages", "feeds"])
async def test_stopping_the_bot_does_not_wait_for_a_round_in_progress(
    site: WebSite, tmp_path: Path, hanging: str
) -> None:
    """PTB's stop waits for running jobs: the job only wakes the poller's thread, and
    shutdown stops its round and closes the connections in flight, so requests that never
    answer hold neither the stop nor the process's exit (its fetch threads end)."""
    kb = Knowledge.open(tmp_path / "news.db")
    if hanging == "pages":
        pages = [
            (f"Side {n}", site.put(f"/side{n}.html", hang=True), pub_date("2025-06-02"))
            for n in range(8)
        ]
        follow_feed(kb.store, put_feed(site, "/rss.xml", pages))
    else:
        for n in range(8):
            follow_feed(kb.store, site.put(f"/side{n}.html", hang=True))
    hits = lambda: sum(site.hits[f"/side{n}.html"] for n in range(8))  # noqa: E731
    async with FakeBotApi(TOKEN) as api:
        config = Config(
            token=TOKEN,
            api_base_url=api.base_url,
            workers=0,
            feed_interval=INTERVAL,
            fetch_private=True,
        )
        app = build_application(kb, config)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await until(lambda: hits() >= 1, what="a request in flight")
        started = time.monotonic()
        await app.stop()  # what run_polling does on SIGTERM: stop, shutdown, post_shutdown
        await app.shutdown()
        await app.post_shutdown(app)
        assert time.monotonic() - started < 3.0
    threads = threading.enumerate()
    assert not [t for t in threads if t.name == "faktabot-feeds"]  # the poller has ended
    # Requests still in flight are left to end by themselves, in daemon threads, which
    # do not hold the process's exit.
    assert all(t.daemon for t in threads if t.name == "faktabot-fetch")
    await asyncio.sleep(0.5)
    assert hits() <= 4  # the requests in flight when it stopped; none after them
