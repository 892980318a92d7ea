"""faktabot's knowledge library: Danish text in, exact sentences out. No Telegram here."""

from .errors import FaktabotError, IngestError, NotFoundError
from .model import Answer, Article, ArticleInput, Explanation, Fact, Hit, Result
from .service import Knowledge
from .store import Store

__all__ = [
    "Answer",
    "Article",
    "ArticleInput",
    "Explanation",
    "Fact",
    "FaktabotError",
    "Hit",
    "IngestError",
    "Knowledge",
    "NotFoundError",
    "Result",
    "Store",
]
