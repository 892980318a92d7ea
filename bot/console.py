"""Ask the bot from a terminal: the same answer path as Telegram, rendered as plain text.

echo "Hvem er talsmand for Pentagon?" | faktabot chat
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from faktabot.bot import render
from faktabot.knowledge.dialogue import Memory

if TYPE_CHECKING:
    from faktabot.knowledge import Knowledge
    from faktabot.knowledge.model import Result

PROMPT = "> "
WELCOME = (
    "Hej! Stil et spørgsmål på dansk, så svarer jeg med en sætning fra mine artikler.\n"
    f"Fx: {render.EXAMPLES[0]}\n"
    "Afslut med Ctrl-D."
)


TALK = "console"  # the one conversation of a terminal


def reply(kb: Knowledge, question: str, memory: Memory | None = None) -> str:
    """The plain-text reply to one line of input; with a memory, follow-ups lean on the
    previous answer as they do on Telegram."""
    problem = render.question_problem(question)
    if problem is not None:
        return render.to_plain(problem)
    return render.plain_answer(converse(kb, question, memory))


def converse(kb: Knowledge, message: str, memory: Memory | None = None) -> Result:
    """The knowledge's reply to one line, leaning on (and kept in) the terminal's memory."""
    kb.refresh()
    previous = memory.recall(TALK) if memory is not None else None
    result = kb.converse(message, previous)
    if memory is not None and result.turn is not None:
        memory.remember(TALK, result.turn)
    return result


def chat(
    kb: Knowledge,
    infile: TextIO | None = None,
    outfile: TextIO | None = None,
    *,
    memory: Memory | None = None,
) -> int:
    """Answer one question per line until end of input; prompt only on a terminal.

    The lines are one conversation: "og hvornår?" leans on the answer before it."""
    # Looked up at call time, so a redirected sys.stdin/sys.stdout is honoured.
    infile = infile if infile is not None else sys.stdin
    outfile = outfile if outfile is not None else sys.stdout
    interactive = infile.isatty()
    if interactive:
        print(WELCOME, file=outfile)
    memory = memory if memory is not None else Memory()
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
            print(separator + reply(kb, line.strip(), memory), file=outfile, flush=True)
            answered += 1
    except KeyboardInterrupt:
        pass
    if interactive:
        print(file=outfile)
    return 0


def main() -> int:
    """`python -m bot.console`: the CLI's `faktabot chat` (the same knowledge and settings)."""
    from faktabot.bot.cli import main as cli_main

    return cli_main(["chat"])


if __name__ == "__main__":
    raise SystemExit(main())
