"""`faktabot report` on screen (rich tables) and as one self-contained HTML page.

The numbers come from knowledge.curation; this module only lays them out. The page has
inline CSS and an inline SVG chart: it opens from a file, offline, with nothing fetched.
"""

from __future__ import annotations

import html

from faktabot.knowledge.curation import CurationReport, DayRate
from rich.console import Console
from rich.table import Table
from rich.text import Text

BAR_WIDTH = 20  # characters of the per-day bar in the terminal


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _period(report: CurationReport) -> str:
    return f"{report.since[:10]} to {report.until[:10]} (UTC)"


# The question log holds what was asked on Telegram; `chat`, `ask` and `eval` log nothing.
COUNTED = "Counted: questions asked the bot on Telegram (small talk and commands not included)."


def _summary(report: CurationReport) -> str:
    return (
        f"{report.asked} questions, {report.answered} answered ({_percent(report.rate)}); "
        f"votes: {report.up} 👍, {report.down} 👎. {COUNTED}"
    )


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- terminal --------------------------------------------------------------------------------


def print_report(report: CurationReport, console: Console | None = None) -> None:
    """The report as tables on the terminal (or any rich Console)."""
    console = console or Console()
    console.print(f"[bold]faktabot report[/bold], {_period(report)}")
    console.print(_summary(report))
    console.print()

    unanswered = Table(title="Most asked unanswered questions", title_justify="left")
    unanswered.add_column("asked", justify="right")
    unanswered.add_column("question")
    unanswered.add_column("also asked as")
    unanswered.add_column("facts offered", justify="right")
    for group in report.unanswered:
        variants = [_short(v, 60) for v in group.variants[:3]]
        if len(group.variants) > 3:
            variants.append(f"… {len(group.variants) - 3} more")
        unanswered.add_row(
            str(group.count),
            Text(_short(group.question)),  # Text: a "[" in a question is not rich markup
            Text("\n".join(variants)),
            " ".join(f"#{f}" for f in group.alternatives) or "–",
        )
    console.print(unanswered if report.unanswered else "No unanswered questions.")
    console.print()

    downvoted = Table(title="Facts with the most 👎", title_justify="left")
    for name, justify in [("fact", "right"), ("👎", "right"), ("👍", "right")]:
        downvoted.add_column(name, justify=justify)
    downvoted.add_column("sentence")
    downvoted.add_column("asked as")
    for fact in report.downvoted:
        downvoted.add_row(
            f"#{fact.fact_id}",
            str(fact.down),
            str(fact.up),
            Text(_short(fact.text, 80) if fact.text else "(removed)"),
            Text(_short(fact.question, 60)),
        )
    console.print(downvoted if report.downvoted else "No 👎 votes.")
    console.print()

    days = Table(title="Answer rate per day", title_justify="left")
    for name in ("day", "asked", "answered", "rate"):
        days.add_column(name, justify="left" if name == "day" else "right")
    days.add_column("")
    for day in report.days:
        if day.asked:
            bar = "█" * round((day.rate or 0) * BAR_WIDTH)
            days.add_row(day.day, str(day.asked), str(day.answered), _percent(day.rate), bar)
    console.print(days if any(d.asked for d in report.days) else "No questions in this period.")


# --- HTML ------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1d2433; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
.muted { color: #667085; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
         border-bottom: 1px solid #e4e7ec; }
th { background: #f5f7fa; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
ul { margin: 0; padding-left: 1.1rem; }
svg { max-width: 100%; height: auto; }
svg .bar { fill: #3b82f6; }
svg .none { fill: #e4e7ec; }
svg text { font: 10px system-ui, sans-serif; fill: #667085; }
svg line { stroke: #d0d5dd; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def rate_chart_svg(days: tuple[DayRate, ...] | list[DayRate]) -> str:
    """An inline SVG bar chart of the answer rate per day (grey: no questions that day)."""
    step, plot, left, top = 22, 120, 34, 10
    width = left + step * max(len(days), 1) + 10
    height = top + plot + 30
    parts = [
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Answer rate per day">'
    ]
    for share in (0.0, 0.5, 1.0):
        y = top + plot - share * plot
        parts.append(f'<line x1="{left}" y1="{y:g}" x2="{width - 5}" y2="{y:g}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:g}" text-anchor="end">{share:.0%}</text>')
    for i, day in enumerate(days):
        x = left + i * step + 3
        if day.rate is None:
            bar, tip = f'class="none" y="{top + plot - 2}" height="2"', "no questions"
        else:
            h = max(day.rate * plot, 1)
            bar = f'class="bar" y="{top + plot - h:g}" height="{h:g}"'
            tip = f"{day.answered} of {day.asked} answered ({_percent(day.rate)})"
        parts.append(
            f'<rect x="{x}" width="{step - 6}" {bar}><title>{_e(day.day)}: {_e(tip)}</title></rect>'
        )
        if i % 7 == 0 or (i == len(days) - 1 and i % 7 >= 4):  # no overlapping labels
            label = _e(day.day[5:])  # MM-DD
            parts.append(f'<text x="{x}" y="{top + plot + 14}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def report_html(report: CurationReport) -> str:
    """The whole report as one HTML page: inline CSS and SVG, no scripts, nothing external."""
    rows = []
    for group in report.unanswered:
        variants = "".join(f"<li>{_e(v)}</li>" for v in group.variants)
        facts = " ".join(f"#{f}" for f in group.alternatives) or "–"
        rows.append(
            f'<tr><td class="n">{group.count}</td><td>{_e(group.question)}</td>'
            f"<td><ul>{variants}</ul></td><td>{_e(facts)}</td></tr>"
        )
    unanswered = (
        '<table><tr><th class="n">asked</th><th>question</th><th>also asked as</th>'
        "<th>facts offered</th></tr>" + "".join(rows) + "</table>"
        if rows
        else '<p class="muted">No unanswered questions.</p>'
    )
    rows = [
        f'<tr><td class="n">#{f.fact_id}</td><td class="n">{f.down}</td><td class="n">{f.up}</td>'
        f"<td>{_e(f.text) if f.text else '<i>(removed)</i>'}"
        f'<br><span class="muted">{_e(f.article or "")}</span></td><td>{_e(f.question)}</td></tr>'
        for f in report.downvoted
    ]
    downvoted = (
        '<table><tr><th class="n">fact</th><th class="n">👎 down</th><th class="n">👍 up</th>'
        "<th>sentence</th><th>asked as</th></tr>" + "".join(rows) + "</table>"
        if rows
        else '<p class="muted">No 👎 votes.</p>'
    )
    rows = [
        f'<tr><td>{_e(d.day)}</td><td class="n">{d.asked}</td><td class="n">{d.answered}</td>'
        f'<td class="n">{_percent(d.rate)}</td></tr>'
        for d in report.days
        if d.asked
    ]
    days = (
        '<table><tr><th>day</th><th class="n">asked</th><th class="n">answered</th>'
        '<th class="n">rate</th></tr>' + "".join(rows) + "</table>"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faktabot report</title>
<style>{_CSS}</style>
</head>
<body>
<h1>faktabot report</h1>
<p class="muted">{_e(_period(report))}</p>
<p>{_e(_summary(report))}</p>
<h2>Answer rate per day</h2>
{rate_chart_svg(report.days)}
<h2>Most asked unanswered questions</h2>
{unanswered}
<h2>Facts with the most 👎</h2>
{downvoted}
<h2>Days</h2>
{days}
</body>
</html>
"""
