"""Feed polling (issue 19): what a round of `knowledge.feeds.poll` costs, on this machine,
against a web site on 127.0.0.1 (no other network).

The site runs in a process of its own (tests/web_server.py, with TCP_NODELAY: ETag /
If-None-Match, so an unchanged feed or page answers 304). It serves FEEDS RSS feeds of
ITEMS items each, and an article page per item: generated Danish-looking news pages
(a lead and 7-19 more sentences, with a header, menus, a cookie banner, "read also",
most-read and related lists, a newsletter form, a footer, inline CSS, JavaScript and
JSON-LD; 15-25 KB each). Every repetition runs in a fresh process (so that its peak RSS
is its own) on a fresh SQLite file (with the seed article, as the bot's), and measures:

  new        one round when everything is new: FEEDS x ITEMS pages fetched, extracted
             and stored; its time, pages/s, the process's peak RSS (ru_maxrss) before
             and after, and its time split by timing, inside the same round, the parts
             poll() runs in its own thread one after another (`_read_feed`,
             `article_from_html`, `Store.add`, the rest of `_store_item`); what is left
             is that thread waiting for the fetches. Also: how many pages were fetched
             and not yet extracted at once (poll() fetches a few pages ahead)
  unchanged  the next round: every feed answers 304
  changed    a round after one item of every feed changed (its page's text and its
             pubDate): exactly FEEDS articles must be updated, none added
  fetch      the same pages fetched alone (no extraction), as many at once as poll()
             asks for: what the network part costs when nothing else runs
  stored     of each page's text, what the database holds: its lead, all its body
             paragraphs, any boilerplate

    python bench/feeds.py [--feeds 20] [--items 50] [--repeats 3] [--requests 4] [--nagle]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PAPER = "Dagbladet Nord"
START = datetime(2025, 3, 10, 18, 0, tzinfo=UTC)  # the newest item of the site
SECTIONS = [
    "Indland", "Udland", "Politik", "Økonomi", "Erhverv", "Sport", "Kultur", "Klima",
    "Sundhed", "Uddannelse", "Trafik", "Krimi", "Bolig", "Forbrug", "Teknologi", "Aarhus",
    "Aalborg", "Odense", "København", "Sønderjylland", "Bornholm", "Debat", "Viden",
    "Job", "Rejser", "Mad", "Motor", "Vejret",
]  # fmt: skip
FIRST = [
    "Mette", "Lars", "Anne", "Søren", "Jens", "Hanne", "Mads", "Camilla", "Peter",
    "Louise", "Henrik", "Sofie", "Rasmus", "Ida", "Niels", "Karen", "Ole", "Birgitte",
    "Thomas", "Line", "Mikkel", "Pernille", "Anders", "Kirsten", "Jakob", "Trine", "Bo",
    "Maja", "Emil", "Signe", "Frederik", "Astrid", "Morten", "Lene", "Kasper", "Tove",
]  # fmt: skip
LAST = [
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
    "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
    "Thomsen", "Poulsen", "Johansen", "Møller", "Mortensen", "Frederiksen", "Lund", "Holm",
    "Schmidt", "Kjær", "Bech", "Dahl", "Vestergaard", "Skov", "Brandt", "Winther",
]  # fmt: skip
TOWNS = [
    "Aarhus", "Odense", "Aalborg", "Esbjerg", "Randers", "Kolding", "Horsens", "Vejle",
    "Roskilde", "Herning", "Silkeborg", "Næstved", "Fredericia", "Viborg", "Køge",
    "Holstebro", "Slagelse", "Hillerød", "Sønderborg", "Svendborg", "Hjørring",
    "Frederikshavn", "Ringsted", "Haderslev", "Skive", "Thisted", "Rønne", "Nykøbing Falster",
]  # fmt: skip
ORGS = [
    "Danmarks Statistik", "Region Hovedstaden", "Region Midtjylland", "Sundhedsstyrelsen",
    "Vejdirektoratet", "DMI", "Forbrugerrådet Tænk", "Dansk Industri",
    "Landbrug & Fødevarer", "Københavns Universitet", "Aarhus Universitet", "DSB",
    "Beredskabsstyrelsen", "Miljøstyrelsen", "Finanstilsynet", "Nationalbanken",
    "Kommunernes Landsforening", "Ældre Sagen", "Danske Regioner", "Rigspolitiet",
]  # fmt: skip
ROLES = [
    "borgmester", "rådmand for teknik og miljø", "formand for børneudvalget",
    "administrerende direktør", "professor i økonomi", "politiinspektør", "overlæge",
    "skoleleder", "cheføkonom", "talsperson for beboerne", "formand for lokalrådet",
    "afdelingschef", "klimaordfører", "trafikforsker", "vagtchef",
]  # fmt: skip
TOPICS = [
    "den nye skole i bydelen", "budgettet for næste år", "letbanens anden etape",
    "den nye omfartsvej", "hospitalets akutmodtagelse", "udvidelsen af havnen",
    "vindmølleparken ved kysten", "lukningen af biblioteket", "de nye cykelstier",
    "byggeriet af 400 boliger", "renoveringen af svømmehallen", "den nye busplan",
    "sammenlægningen af to plejehjem", "det nye rensningsanlæg", "byens parkeringsregler",
    "omlægningen af landbrugsjorden", "den kommunale tandpleje", "kystsikringen",
]  # fmt: skip
THINGS = [
    "ledige", "konkurser", "indbrud", "nye virksomheder", "solgte elbiler",
    "fødsler", "tilflyttere", "trafikuheld", "ansøgere til uddannelserne",
    "husstande med solceller", "ventende patienter", "lærlinge",
]  # fmt: skip
PARTIES = [
    "Socialdemokratiet", "Venstre", "SF", "Enhedslisten", "Det Konservative Folkeparti",
    "Radikale Venstre", "Liberal Alliance", "Dansk Folkeparti", "Moderaterne",
    "Danmarksdemokraterne", "Alternativet",
]  # fmt: skip
TEAMS = [
    "AGF", "FC Midtjylland", "Brøndby", "FC København", "OB", "AaB", "Randers FC",
    "Silkeborg IF", "Viborg FF", "Vejle Boldklub", "Lyngby", "SønderjyskE",
]  # fmt: skip
ROADS = ["Motorvej E45", "Rute 11", "Helsingørmotorvejen", "Rute 9", "Motorvej E20", "Rute 26"]
DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
MONTHS = [
    "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
    "oktober", "november", "december",
]  # fmt: skip
SENTENCES = [
    "{person}, der er {role}, siger, at {topic} vil koste omkring {n} millioner kroner.",
    "Ifølge {org} steg antallet af {thing} med {pct} procent i {year}.",
    "Byrådet i {town} besluttede {day} aften at udskyde beslutningen om {topic}.",
    "Politiet i {town} oplyser, at en {age}-årig mand blev anholdt kort efter midnat.",
    "Det er første gang siden {year}, at {thing} i {town} er faldet to år i træk.",
    "»Vi har ventet længe på en afklaring, og nu skal der ske noget,« siger {person}.",
    "Arbejdet ventes at begynde i {month} og være færdigt i løbet af {year2}.",
    "{org} vurderer, at regningen vil stige med {n} kroner om måneden for en familie.",
    "I alt {n3} borgere har skrevet under på en indsamling mod {topic}.",
    "Ulykken skete ved {hour}-tiden på {road} mellem {town} og {town2}.",
    "{team} vandt søndagens kamp mod {team2} med {g1}-{g2} på hjemmebane.",
    "Temperaturen når op på {t} grader i løbet af eftermiddagen, oplyser DMI.",
    "Kommunen har afsat {n} millioner kroner til {topic} i budgettet for {year2}.",
    "Sagen behandles igen på et møde i økonomiudvalget den {date}. {month}.",
    "{person} har arbejdet i {town} Kommune i {small} år og kender sagen indgående.",
    "Der er tale om en stigning på {pct} procent i forhold til samme periode sidste år.",
    "Ifølge {person} er der endnu ikke truffet en endelig beslutning om {topic}.",
    "Både {party} og {party2} har meldt sig imod forslaget om {topic}.",
    "Virksomheden forventer at ansætte {n3} nye medarbejdere i {town} inden {month}.",
    "Beboerne i {town} har i flere måneder klaget over støj fra byggepladsen.",
    "{org} anbefaler, at man holder sig orienteret på de lokale medier.",
    "Den {age}-årige kvinde blev kørt til {town} Sygehus med lettere skader.",
    "»Det er en fuldstændig urimelig situation for familierne,« siger {person} til {paper}.",
    "Tallene fra {org} viser, at {thing} især er blevet flere i {town} og {town2}.",
    "Næste skridt er en høring, som løber frem til den {date}. {month}.",
    "{party} kalder planen for {topic} et løftebrud over for borgerne.",
    "Prisen er steget fra {n} til {n2} millioner kroner, siden projektet blev vedtaget.",
    "{person} blev valgt som {role} i {year} med {pct} procent af stemmerne.",
    "Ingen kom alvorligt til skade, men {road} var spærret i {small} timer.",
    "Han vil ikke udelukke, at {topic} bliver udskudt til {year2}.",
]
HEADLINES = [
    "{town}: {topic} bliver dyrere end ventet",
    "{person} går af som {role}",
    "Flere {thing} i {town} end nogensinde før",
    "{team} slår {team2} i tæt opgør",
    "Politiet efterlyser vidner efter ulykke på {road}",
    "Strid om {topic} i {town}",
    "{org}: {thing} stiger for tredje år i træk",
    "Ny aftale skal redde {topic}",
    "Borgere i {town} raser over {topic}",
    "{party} vil stoppe {topic}",
]


def fill(rng: random.Random, template: str) -> str:
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    town, town2 = rng.sample(TOWNS, 2)
    party, party2 = rng.sample(PARTIES, 2)
    team, team2 = rng.sample(TEAMS, 2)
    n = rng.randint(2, 900)
    text = template.format(
        person=person, role=rng.choice(ROLES), topic=rng.choice(TOPICS), org=rng.choice(ORGS),
        thing=rng.choice(THINGS), town=town, town2=town2, party=party, party2=party2,
        team=team, team2=team2, road=rng.choice(ROADS), day=rng.choice(DAYS),
        month=rng.choice(MONTHS), n=n, n2=n + rng.randint(10, 400), n3=rng.randint(120, 9000),
        pct=rng.randint(2, 48), year=rng.randint(1998, 2024), year2=rng.randint(2025, 2031),
        age=rng.randint(17, 88), hour=rng.randint(5, 23), t=rng.randint(-4, 27),
        g1=rng.randint(0, 4), g2=rng.randint(0, 4), date=rng.randint(1, 28),
        small=rng.randint(2, 19), paper=PAPER,
    )  # fmt: skip
    return text[0].upper() + text[1:]


def slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
    words = "".join(c if c.isalnum() else " " for c in text.lower().translate(table)).split()
    return "-".join(words[:8])


def headline(rng: random.Random) -> str:
    return fill(rng, rng.choice(HEADLINES))


# --- the site ---------------------------------------------------------------------------------


class Site:
    """The feeds and pages: generated from the seed, so every process sees the same site."""

    def __init__(self, feeds: int, items: int, seed: int) -> None:
        self.feeds, self.items, self.seed = feeds, items, seed

    def feed_path(self, f: int) -> str:
        return f"/rss/{slug(SECTIONS[f % len(SECTIONS)])}-{f}.xml"

    def page_path(self, f: int, i: int) -> str:
        rng = random.Random(f"{self.seed}-title-{f}-{i}")
        section = slug(SECTIONS[f % len(SECTIONS)])
        return f"/{section}/{self.published(f, i):%Y/%m}/{slug(headline(rng))}-{f:02d}{i:03d}.html"

    def published(self, f: int, i: int) -> datetime:
        return START - timedelta(minutes=37 * i + 3 * f)

    def changed_item(self, f: int) -> int:
        return (7 * f + 3) % self.items

    def title(self, f: int, i: int) -> str:
        return headline(random.Random(f"{self.seed}-title-{f}-{i}"))

    def story(self, f: int, i: int, version: int = 0) -> tuple[random.Random, str, list[str]]:
        """The page's random source (for its boilerplate), its lead and its paragraphs:
        8-20 sentences in all; version 1 is the story updated."""
        rng = random.Random(f"{self.seed}-page-{f}-{i}")
        sentences = [fill(rng, rng.choice(SENTENCES)) for _ in range(rng.randint(8, 20))]
        lead, body = sentences[0], sentences[1:]
        if version:
            updated = self.published(f, i) + timedelta(hours=2)
            body.insert(0, f"Opdateret kl. {updated:%H.%M}: {fill(rng, rng.choice(SENTENCES))}")
            body.append(f"{PAPER} følger sagen og opdaterer artiklen, når der er nyt.")
        paragraphs, k = [], 0
        while k < len(body):
            size = rng.choice((1, 1, 2, 2, 3))
            paragraphs.append(" ".join(body[k : k + size]))
            k += size
        return rng, lead, paragraphs

    def page(self, base: str, f: int, i: int, version: int = 0) -> str:
        """Article page `i` of feed `f`; version 1 is the story updated (and dated later)."""
        rng, lead, paragraphs = self.story(f, i, version)
        title = self.title(f, i)
        section = SECTIONS[f % len(SECTIONS)]
        url = base + self.page_path(f, i)
        published = self.published(f, i)
        modified = published + timedelta(hours=2) if version else published
        author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        parts = [f"<p>{escape(p)}</p>" for p in paragraphs]
        also = f'<aside class="read-also"><h3>Læs også</h3><a href="{base}/{slug(section)}/">'
        parts.insert(min(2, len(parts)), also + f"{escape(headline(rng))}</a></aside>")
        if rng.random() < 0.5:
            parts.insert(len(parts) // 2 + 1, '<div class="ad">Annonce</div>')
        jsonld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": title,
                "datePublished": published.isoformat(),
                "dateModified": modified.isoformat(),
                "author": {"@type": "Person", "name": author},
                "publisher": {"@type": "Organization", "name": PAPER},
                "mainEntityOfPage": url,
                "articleSection": section,
            },
            ensure_ascii=False,
        )
        return "".join(
            [
                '<!doctype html><html lang="da"><head><meta charset="utf-8">',
                f"<title>{escape(title)} | {PAPER}</title>",
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f'<meta name="description" content="{escape(lead)}">',
                f'<meta property="og:title" content="{escape(title)}">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:url" content="{url}">',
                f'<meta property="og:site_name" content="{PAPER}">',
                f'<meta property="article:published_time" content="{published.isoformat()}">',
                f'<meta property="article:modified_time" content="{modified.isoformat()}">',
                f'<meta property="article:section" content="{section}">',
                f'<link rel="canonical" href="{url}">',
                f'<link rel="stylesheet" href="{base}/static/main.css">',
                f'<script type="application/ld+json">{jsonld}</script>',
                f"<style>{css(rng)}</style><script>{script(rng, section)}</script>",
                "</head><body>",
                '<div id="consent" class="cookie-banner"><p>Vi bruger cookies til at forbedre',
                " din oplevelse, til statistik og til at vise annoncer. Du kan til enhver tid",
                " ændre dit samtykke.</p><button>Accepter alle</button><button>Kun",
                " nødvendige</button></div>",
                header(base, rng),
                f'<main><nav class="breadcrumb"><a href="{base}/">Forside</a> › ',
                f'<a href="{base}/{slug(section)}/">{section}</a></nav>',
                f'<article class="article"><header><h1>{escape(title)}</h1>',
                f'<p class="lead"><strong>{escape(lead)}</strong></p>',
                f'<div class="byline">Af <a href="{base}/journalister/{slug(author)}">',
                f'{author}</a> · <time datetime="{published.isoformat()}">',
                f"{published.day}. {MONTHS[published.month - 1]} {published.year} kl. ",
                f"{published:%H.%M}</time></div>",
                f'<figure><img src="{base}/billeder/{f}-{i}.jpg" alt="{escape(title)}">',
                f"<figcaption>{escape(fill(rng, '{town} set fra luften.'))} Foto: ",
                f"{rng.choice(FIRST)} {rng.choice(LAST)}/Ritzau Scanpix</figcaption></figure>",
                f'</header><div class="article-body">{"".join(parts)}</div>',
                '<footer class="article-footer"><p>Emner: ',
                " ".join(
                    f'<a href="{base}/tag/{slug(t)}">{t}</a>'
                    for t in rng.sample(SECTIONS + TOWNS, 4)
                ),
                '</p><div class="share"><a>Del på Facebook</a> <a>Del på LinkedIn</a> ',
                "<a>Kopiér link</a></div></footer></article>",
                most_read(base, rng),
                related(base, rng, section),
                '<section class="newsletter"><h2>Få dagens vigtigste nyheder i din ',
                'indbakke</h2><form action="/nyhedsbrev"><input type="email" placeholder=',
                '"Din e-mail"><button>Tilmeld</button></form><p>Du kan til enhver tid ',
                "afmelde dig igen. Læs vores privatlivspolitik.</p></section></main>",
                footer(base, rng),
                f'<script src="{base}/static/app.js" defer></script></body></html>',
            ]
        )

    def rss(self, base: str, f: int, changed: bool = False) -> str:
        section = SECTIONS[f % len(SECTIONS)]
        rows = []
        for i in range(self.items):
            date = self.published(f, i)
            if changed and i == self.changed_item(f):
                date += timedelta(hours=2)
            teaser = self.story(f, i)[1]  # the page's lead, as feeds carry it
            link = base + self.page_path(f, i)
            rows.append(
                f"<item><title>{escape(self.title(f, i))}</title><link>{link}</link>"
                f'<guid isPermaLink="true">{link}</guid>'
                f"<pubDate>{format_datetime(date)}</pubDate>"
                f"<category>{section}</category><description>{escape(teaser)}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{PAPER} - {section}</title><link>{base}/{slug(section)}/</link>"
            f"<description>Seneste nyt fra {section}</description><language>da</language>"
            f"<lastBuildDate>{format_datetime(START)}</lastBuildDate>"
            + "".join(rows)
            + "</channel></rss>"
        )


def css(rng: random.Random) -> str:
    rules = []
    for n in range(rng.randint(25, 110)):
        name = rng.choice(("c-teaser", "o-grid", "u-hide", "c-nav", "c-article", "c-ad"))
        rules.append(
            f".{name}--{n}{{margin:0 {rng.randint(0, 32)}px;padding:{rng.randint(0, 24)}px;"
            f"color:#{rng.randrange(16**6):06x};font-size:{rng.randint(11, 40)}px}}"
        )
    return "".join(rules)


def script(rng: random.Random, section: str) -> str:
    keys = [f'"k{n}":"{rng.randrange(16**10):010x}"' for n in range(rng.randint(30, 160))]
    return (
        "window.dataLayer=window.dataLayer||[];dataLayer.push({"
        f'"event":"pageview","section":"{section}","paywall":false,'
        + ",".join(keys)
        + "});(function(w,d){var s=d.createElement('script');s.async=true;"
        "s.src='/static/consent.js';d.head.appendChild(s)})(window,document);"
    )


def header(base: str, rng: random.Random) -> str:
    links = "".join(f'<li><a href="{base}/{slug(s)}/">{s}</a></li>' for s in SECTIONS)
    towns = "".join(
        f'<li><a href="{base}/lokalt/{slug(t)}/">{t}</a></li>' for t in rng.sample(TOWNS, 12)
    )
    return (
        f'<header class="site-header"><a class="logo" href="{base}/">{PAPER}</a>'
        f'<nav class="main-nav"><ul>{links}</ul></nav><nav class="local-nav"><ul>{towns}</ul>'
        '</nav><form class="search" action="/soeg"><input name="q" placeholder="Søg">'
        '<button>Søg</button></form><a class="login" href="/log-ind">Log ind</a> '
        '<a class="subscribe" href="/abonnement">Bliv abonnent</a></header>'
    )


def most_read(base: str, rng: random.Random) -> str:
    rows = "".join(
        f'<li><a href="{base}/artikel/{rng.randrange(10**6)}">{escape(headline(rng))}</a></li>'
        for _ in range(10)
    )
    return f'<aside class="most-read"><h2>Mest læste</h2><ol>{rows}</ol></aside>'


def related(base: str, rng: random.Random, section: str) -> str:
    rows = "".join(
        f'<div class="teaser"><a href="{base}/artikel/{rng.randrange(10**6)}"><h3>'
        f"{escape(headline(rng))}</h3><p>{escape(fill(rng, rng.choice(SENTENCES)))}</p></a></div>"
        for _ in range(rng.randint(4, 10))
    )
    return f'<section class="related"><h2>Flere nyheder fra {section}</h2>{rows}</section>'


def footer(base: str, rng: random.Random) -> str:
    pages = [
        "Om os", "Kontakt redaktionen", "Tip os", "Job", "Annoncér hos os", "Abonnement",
        "Kundeservice", "Privatlivspolitik", "Cookiepolitik", "Cookieindstillinger",
        "Handelsbetingelser", "Presseetik", "Rettelser", "Nyhedsbreve", "Podcasts",
        "E-avis", "Arkiv", "RSS", "Tilgængelighed",
    ]  # fmt: skip
    links = "".join(f'<li><a href="{base}/info/{slug(p)}">{p}</a></li>' for p in pages)
    sections = "".join(f'<li><a href="{base}/{slug(s)}/">{s}</a></li>' for s in SECTIONS)
    editor = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return (
        f'<footer class="site-footer"><ul>{links}</ul><ul>{sections}</ul>'
        f"<p>{PAPER} · Havnegade 12 · 9000 Aalborg · Telefon 98 12 34 56 · CVR 12345678</p>"
        f"<p>Ansvarshavende chefredaktør: {editor}</p><p>{PAPER} arbejder efter de "
        "vejledende regler for god presseskik. Klager kan rettes til Pressenævnet.</p>"
        f"<p>© {PAPER} 2025. Alle rettigheder forbeholdes. Indholdet må ikke gengives "
        "uden tilladelse.</p></footer>"
    )


def serve(args: argparse.Namespace) -> int:
    """The web site, in this process: prints its address; /_bench/reset and
    /_bench/change switch every feed and page between the two versions."""
    from web_server import WebSite

    site = Site(args.feeds, args.items, args.seed)
    web = WebSite()
    # TCP_NODELAY, as web servers set it on kept-alive connections: http.server writes the
    # headers and the body apart, and with Nagle's algorithm the body then waits for the
    # client's delayed ACK, about 40 ms a request on Linux loopback (--nagle shows it).
    web.server.RequestHandlerClass.disable_nagle_algorithm = not args.nagle
    base = web.url("")
    rss_type = "application/rss+xml; charset=utf-8"

    def publish(changed: bool) -> None:
        for f in range(site.feeds):
            web.put(site.feed_path(f), site.rss(base, f, changed), content_type=rss_type)
            for i in range(site.items):
                if changed and i != site.changed_item(f):
                    continue
                version = 1 if changed else 0
                web.put(site.page_path(f, i), site.page(base, f, i, version))

    plain = web.serve

    def serve_or_switch(handler) -> None:  # type: ignore[no-untyped-def]
        path = handler.path
        if path in ("/_bench/reset", "/_bench/change"):
            publish(changed=path.endswith("change"))
            return web._send(handler, 200, b"ok", "text/plain")
        return plain(handler)

    web.serve = serve_or_switch  # type: ignore[method-assign]
    publish(changed=False)
    web.start()
    print(base, flush=True)
    sys.stdin.read()  # until the parent closes it
    web.close()
    return 0


# --- one repetition, in a process of its own -------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Timer:
    """Wraps a function; sums the seconds spent in it."""

    def __init__(self, function):  # type: ignore[no-untyped-def]
        self.function, self.seconds = function, 0.0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


BOILERPLATE = ("Læs også", "Mest læste", "cookies", "Annonce", "Emner:", "Tilmeld", "Foto:")


def quality(site: Site, base: str, store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """What the stored articles kept of their pages: the lead, every body paragraph, and
    no boilerplate (pages as they are after the changed round)."""
    texts = dict(store.db.conn.execute("SELECT url, text FROM articles WHERE url IS NOT NULL"))
    found = {"pages": 0, "stored": 0, "lead": 0, "body": 0, "boilerplate": 0}
    for f in range(site.feeds):
        for i in range(site.items):
            _, lead, paragraphs = site.story(f, i, int(i == site.changed_item(f)))
            text = texts.get(base + site.page_path(f, i))
            found["pages"] += 1
            if text is None:
                continue
            flat = " ".join(text.split())
            found["stored"] += 1
            found["lead"] += lead in flat
            found["body"] += all(" ".join(p.split()) in flat for p in paragraphs)
            found["boilerplate"] += any(word in flat for word in BOILERPLATE)
    return found


class Held:
    """Counts the article pages fetched and not yet extracted and stored, at most."""

    def __init__(self, attempt, store_item):  # type: ignore[no-untyped-def]
        self.attempt, self.store_item = attempt, store_item
        self.lock = threading.Lock()
        self.pages = self.bytes = self.most_pages = self.most_bytes = 0

    def fetched(self, fetcher, url, etag, modified):  # type: ignore[no-untyped-def]
        page = self.attempt(fetcher, url, etag, modified)
        if "/rss/" not in url and hasattr(page, "body"):
            with self.lock:
                self.pages += 1
                self.bytes += len(page.body)
                self.most_pages = max(self.most_pages, self.pages)
                self.most_bytes = max(self.most_bytes, self.bytes)
        return page

    def stored(self, store, item, page, *rest):  # type: ignore[no-untyped-def]
        try:
            return self.store_item(store, item, page, *rest)
        finally:
            if hasattr(page, "body"):
                with self.lock:
                    self.pages -= 1
                    self.bytes -= len(page.body)


def worker(args: argparse.Namespace) -> int:
    import httpx
    from faktabot.knowledge import Store, feeds
    from faktabot.knowledge.extract import article_from_html
    from faktabot.knowledge.fetch import Fetcher

    site = Site(args.feeds, args.items, args.seed)
    base = args.base
    started = time.perf_counter()
    article_from_html(site.page("http://127.0.0.1:1", 0, 0), "http://127.0.0.1:1/varm")
    store = Store.open(Path(args.db))  # with the seed article, as the bot's database
    warm = time.perf_counter() - started
    for f in range(site.feeds):
        feeds.follow(store, base + site.feed_path(f))
    before = peak_mb()

    timers = {
        "feeds": Timer(feeds._read_feed),  # parse every feed, record its items
        "extract": Timer(feeds.article_from_html),
        "store": Timer(store.add),
        "item": Timer(feeds._store_item),  # extract + store + the item's bookkeeping
    }
    feeds._read_feed = timers["feeds"]  # type: ignore[assignment]
    feeds.article_from_html = timers["extract"]  # type: ignore[assignment]
    store.add = timers["store"]  # type: ignore[method-assign]
    feeds._store_item = timers["item"]  # type: ignore[assignment]
    held = Held(feeds._attempt, feeds._store_item)
    feeds._attempt, feeds._store_item = held.fetched, held.stored  # type: ignore[assignment]

    def round_(fetcher: Fetcher) -> dict[str, object]:
        for timer in timers.values():
            timer.seconds = 0.0
        held.pages = held.bytes = held.most_pages = held.most_bytes = 0
        done = feeds.poll(store, fetcher, force=True, requests=args.requests)
        counts = {
            k: getattr(done, k)
            for k in ("feeds", "unchanged", "failed", "added", "updated", "same", "errors")
        }
        split = {name: timer.seconds for name, timer in timers.items()}
        most = {"pages": held.most_pages, "mb": held.most_bytes / 2**20}
        return {"seconds": done.seconds, "counts": counts, "split": split, "held": most}

    out: dict[str, object] = {"warm": warm, "rss_before": before}
    with Fetcher(allow_private=True) as fetcher:  # the site is on 127.0.0.1
        out["new"] = round_(fetcher)
        out["rss_after"] = peak_mb()
        db = Path(args.db)
        out["db_mb"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
        out["unchanged"] = round_(fetcher)
        httpx.get(base + "/_bench/change", trust_env=False).raise_for_status()
        out["changed"] = round_(fetcher)
    conn = store.db.conn
    out["articles"] = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    out["updated_texts"] = conn.execute(
        "SELECT count(*) FROM articles WHERE text LIKE '%Opdateret kl.%'"
    ).fetchone()[0]
    out["quality"] = quality(site, base, store)
    links = [row[0] for row in conn.execute("SELECT link FROM feed_items")]
    with Fetcher(allow_private=True) as fetcher, ThreadPoolExecutor(args.requests) as pool:
        started = time.perf_counter()
        sizes = [len(page.body) for page in pool.map(fetcher.get, links)]
        out["fetch"] = {"seconds": time.perf_counter() - started, "pages": len(sizes)}
    out["page_kb"] = [min(sizes) / 1024, statistics.median(sizes) / 1024, max(sizes) / 1024]
    store.db.close()
    print(json.dumps(out))
    return 0


# --- the runs and the table -------------------------------------------------------------------


def spread(values: list[float], fmt: str) -> tuple[str, str]:
    """The median, and the range as 'low–high'."""
    return format(statistics.median(values), fmt), (
        f"{format(min(values), fmt)}–{format(max(values), fmt)}"
    )


def spread2(first: list[float], second: list[float]) -> tuple[str, str]:
    """Two measures of the same runs side by side, as 'a, b'."""
    (m1, r1), (m2, r2) = spread(first, ".0f"), spread(second, ".1f")
    return f"{m1}, {m2}", f"{r1}, {r2}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--requests", type=int, default=4, help="poll()'s requests at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--nagle", action="store_true", help="serve without TCP_NODELAY, as tests/web_server.py"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args)
    if args.worker:
        return worker(args)

    import httpx

    began = time.perf_counter()
    common = ["--feeds", str(args.feeds), "--items", str(args.items), "--seed", str(args.seed)]
    me = [sys.executable, str(Path(__file__).resolve())]
    env = {k: v for k, v in os.environ.items() if k not in ("HTTP_PROXY", "HTTPS_PROXY")}
    server = subprocess.Popen(
        [*me, "--serve", *common, *(["--nagle"] if args.nagle else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    work = Path(tempfile.mkdtemp(prefix="faktabot-feeds-"))
    runs = []
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        requests = ["--requests", str(args.requests)]
        for n in range(args.repeats):
            httpx.get(base + "/_bench/reset", trust_env=False).raise_for_status()
            db = work / f"run{n}" / "faktabot.db"
            done = subprocess.run(
                [*me, "--worker", *common, "--base", base, "--db", str(db), *requests],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                sys.stderr.write(done.stderr)
                return 1
            run = json.loads(done.stdout.splitlines()[-1])
            runs.append(run)
            print(
                f"run {n + 1}: new {run['new']['seconds']:.1f} s, "
                f"unchanged {run['unchanged']['seconds'] * 1000:.0f} ms, "
                f"changed {run['changed']['seconds']:.2f} s; "
                f"counts {run['new']['counts']} / {run['unchanged']['counts']} / "
                f"{run['changed']['counts']}",
                flush=True,
            )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    pages = args.feeds * args.items
    checks = []
    for run in runs:
        new, same, changed = (run[k]["counts"] for k in ("new", "unchanged", "changed"))
        checks.append(
            new["added"] == pages
            and new["errors"] == new["failed"] == 0
            and same["unchanged"] == args.feeds
            and same["added"] == same["updated"] == same["same"] == 0
            and changed["updated"] == args.feeds
            and changed["added"] == changed["errors"] == changed["failed"] == 0
            and run["articles"] == pages + 1  # and the seed
            and run["updated_texts"] == args.feeds
        )

    def col(key: str, field: str = "seconds") -> list[float]:
        return [run[key][field] for run in runs]

    new_s = col("new")
    unchanged_ms = [t * 1000 for t in col("unchanged")]
    split = {k: [run["new"]["split"][k] for run in runs] for k in runs[0]["new"]["split"]}
    held_pages = [r["new"]["held"]["pages"] for r in runs]
    held_mb = [r["new"]["held"]["mb"] for r in runs]
    csplit = {k: [run["changed"]["split"][k] for run in runs] for k in split}
    waiting = [
        t - split["feeds"][n] - split["item"][n] for n, t in enumerate(new_s)
    ]  # the main thread waiting for the fetches (and the round's few queries)
    book = [split["item"][n] - split["extract"][n] - split["store"][n] for n in range(len(runs))]
    rows = [
        (f"new: round of {args.feeds} feeds × {args.items} items (s)", *spread(new_s, ".1f")),
        ("new: pages/s", *spread([pages / t for t in new_s], ".0f")),
        ("new: peak RSS before the round (MB)", *spread([r["rss_before"] for r in runs], ".0f")),
        ("new: peak RSS after the round (MB)", *spread([r["rss_after"] for r in runs], ".0f")),
        ("new, of which: feeds parsed, their items recorded (s)", *spread(split["feeds"], ".2f")),
        ("new, of which: waiting for feeds and pages (s)", *spread(waiting, ".2f")),
        ("new, of which: extraction, article_from_html (s)", *spread(split["extract"], ".1f")),
        ("new, of which: storing, Store.add (s)", *spread(split["store"], ".1f")),
        ("new, of which: item bookkeeping (s)", *spread(book, ".2f")),
        (
            "new: most pages fetched and waiting to be extracted (pages, MB)",
            *spread2(held_pages, held_mb),
        ),
        ("unchanged: round, every feed 304 (ms)", *spread(unchanged_ms, ".0f")),
        ("changed: round, 1 item per feed changed (s)", *spread(col("changed"), ".2f")),
        ("changed, of which: feeds parsed, items recorded (s)", *spread(csplit["feeds"], ".2f")),
        ("changed, of which: extraction (s)", *spread(csplit["extract"], ".2f")),
        ("changed, of which: storing, Store.add (s)", *spread(csplit["store"], ".2f")),
        (f"fetch alone: {pages} pages, {args.requests} at once (s)", *spread(col("fetch"), ".2f")),
        ("database after the new round (MB)", *spread([r["db_mb"] for r in runs], ".1f")),
        ("start: import, first extraction, open (s)", *spread([r["warm"] for r in runs], ".1f")),
    ]  # fmt: skip
    kept = runs[-1]["quality"]
    rows.append(
        (
            "stored text: lead kept / all body paragraphs kept / boilerplate in it (pages)",
            f"{kept['lead']} / {kept['body']} / {kept['boilerplate']}",
            f"of {kept['stored']} stored",
        )
    )
    sizes = runs[0]["page_kb"]
    nagle = ", the server with Nagle's algorithm" if args.nagle else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{os.cpu_count()} cores (load average {load} at the end), "
        f"Python {sys.version.split()[0]}, {args.repeats} runs, "
        f"poll(requests={args.requests}){nagle}; pages {sizes[0]:.0f}-{sizes[2]:.0f} KB "
        f"(median {sizes[1]:.0f} KB)\n"
    )
    print("| measure | median | range |")
    print("| --- | ---: | ---: |")
    for name, median, low_high in rows:
        print(f"| {name} | {median} | {low_high} |")
    verdict = "yes" if all(checks) else "NO"
    print(
        f"| counts as they must be ({pages} added; {args.feeds} unchanged; "
        f"{args.feeds} updated, 0 added) | {verdict} | {sum(checks)} of {len(runs)} runs |"
    )
    print(f"\n({time.perf_counter() - began:.0f} s in all)")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
