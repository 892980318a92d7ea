"""Ask the bot from a terminal: the same answer path as Telegram, rendered as plain text.

echo "Hvem er talsmand for Pentagon?" | faktabot chat
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from bot import render

if TYPE_CHECKING:
    from knowledge import Knowledge

PROMPT = "> "
WELCOME = (
    "Hej! Stil et spørgsmål på dansk, så svarer jeg med en sætning fra mine artikler.\n"
    f"Fx: {render.EXAMPLES[0]}\n"
    "Afslut med Ctrl-D."
)


def reply(kb: Knowledge, question: str) -> str:
    """The plain-text reply to one line of input."""
    problem = render.question_problem(question)
    if problem is not None:
        return render.to_plain(problem)
    kb.refresh()
    return render.plain_answer(kb.ask(question))


def chat(kb: Knowledge, infile: TextIO | None = None, outfile: TextIO | None = None) -> int:
    """Answer one question per line until end of input; prompt only on a terminal."""
    # Looked up at call time, so a redirected sys.stdin/sys.stdout is honoured.
    infile = infile if infile is not None else sys.stdin
    outfile = outfile if outfile is not None else sys.stdout
    interactive = infile.isatty()
    if interactive:
        print(WELCOME, file=outfile)
    answered = 0
    try:
        while True:
            if interactive:
                print(PROMPT, end="", file=outfile, flush=True)
            line = infile.readline()
            if not line:
                break
            if not line.strip() and not interactive:
                continue
            separator = "\n" if answered and not interactive else ""
            print(separator + reply(kb, line.strip()), file=outfile, flush=True)
            answered += 1
    except KeyboardInterrupt:
        pass
    if interactive:
        print(file=outfile)
    return 0


def main() -> int:
    """`python -m bot.console`: the CLI's `faktabot chat` (the same knowledge and settings)."""
    from bot.cli import main as cli_main

    return cli_main(["chat"])


if __name__ == "__main__":
    raise SystemExit(main())
