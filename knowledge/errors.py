"""Named errors the library raises; the CLI and the bot turn them into messages."""


class FaktabotError(Exception):
    """Base class for every error faktabot raises on purpose."""


class InputError(FaktabotError):
    """A file or page given as input cannot be read; names it (and the line)."""


class IngestError(InputError):
    """An article file or page could not be read; names the file and line."""


class QuestionFileError(InputError):
    """A question file for `faktabot eval` could not be read; names the file and line."""


class NotFoundError(FaktabotError):
    """No article or fact with that id."""


class SchemaError(FaktabotError):
    """The database was written by a newer faktabot (or is not a faktabot database)."""


class StorageError(FaktabotError):
    """The database file cannot be used: damaged, not a database, unwritable, disk full."""
