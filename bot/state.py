"""What the bot's handlers share, typed: PTB's `bot_data` is a `BotData`, not a dict.

PTB creates `bot_data` itself, with no arguments (`ContextTypes(bot_data=BotData)`);
`build_application` fills in every field before the first update, so a handler reads
`context.bot_data.kb` with its type known, and a misspelt name fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from faktabot.bot.asking import Asker
    from faktabot.bot.config import Config
    from faktabot.bot.curator import Recent
    from faktabot.bot.embedding import VectorUpkeep
    from faktabot.bot.handlers import FloodGate
    from faktabot.bot.health import HealthServer, Metrics
    from faktabot.bot.news import Poller
    from faktabot.knowledge import Knowledge
    from faktabot.knowledge.dialogue import Memory
    from faktabot.knowledge.feedback import Feedback


@dataclass
class BotData:
    kb: Knowledge = field(init=False)
    config: Config = field(init=False)
    metrics: Metrics = field(init=False)  # Prometheus counters of this application
    asker: Asker = field(init=False)  # looks questions up in worker processes
    upkeep: VectorUpkeep = field(init=False)  # embeds new facts when matching by meaning
    flood: FloodGate = field(init=False)  # questions per user and minute
    feedback: Feedback = field(init=False)  # the question log and the votes
    recent: Recent = field(init=False)  # the latest answers, for /hvorfor
    conversations: Memory = field(init=False)  # each conversation's last answer
    poller: Poller | None = None  # runs the feed polling rounds (a database file only)
    health_server: HealthServer | None = None  # /healthz and /metrics, when configured


CONTEXT_TYPES = ContextTypes(bot_data=BotData)
Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
