"""What every sub-command shares: settings, the journal, the console, and one error handler."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.config import Settings
    from assistant.journal import Journal

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DENIED, EXIT_MODEL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class CommandError(AssistantError):
    """A clear, expected failure of a command: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def out() -> Console:
    """Console for results (stdout). Markup off: tool and model text is never interpreted."""
    from rich.console import Console

    return Console(highlight=False, markup=False, soft_wrap=True)


def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def load_settings() -> Settings:
    from assistant import config

    try:
        return config.load()
    except config.ConfigError as exc:
        raise CommandError(f"config error: {exc}") from None


def open_journal() -> Journal:
    from assistant import paths
    from assistant.journal import Journal
    from assistant.secrets import redactor

    return Journal(paths.journal_file(), redact=redactor().redact)


def run_command(args: argparse.Namespace) -> int:
    """Run a handler; expected failures print one line, Ctrl+C exits 130, nothing else escapes
    without its traceback (a bug should be reported, not hidden)."""
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        err().print(f"assistant: {exc}")
        return exc.code
    except KeyboardInterrupt:
        err().print("assistant: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
