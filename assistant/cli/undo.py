"""`assistant undo ACTION_ID`: put back the files and folders a write changed, after a preview.

Over changes made after the action the undo needs a person (``--approve all`` alone refuses
it) or ``--force``, which the preview shows."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from assistant.cli.common import (
    EXIT_DENIED,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    err,
    load_settings,
    open_journal,
)
from assistant.cli.session_args import open_session

if TYPE_CHECKING:
    from assistant.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "undo",
        help="restore the files an earlier action changed (previewed first)",
        description="Shows what will change and asks, like any write. HTTP requests cannot be undone.",
    )
    p.add_argument(
        "action_id", help="the action's id (or a unique prefix), as in `assistant history show`"
    )
    p.add_argument(
        "--approve",
        choices=("ask", "never", "all"),
        default=None,
        help="ask: ask on this terminal (denied when stdin is not one); never: deny; all: "
        "approve, except an undo that would lose later changes, which needs a person or "
        "--force. Default: ask, or `approve` in the config.",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="undo even over changes made after the action (the preview lists what is lost)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON event per line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    from assistant.undo import UndoError, undo_args

    journal = open_journal()
    try:  # where it ran: the session opens there (the session checks it all again)
        restore_args, workspace = undo_args(journal, args.action_id, force=args.force)
    except UndoError as exc:
        raise CommandError(str(exc)) from None
    finally:
        journal.close()
    import asyncio

    title = f"undo {restore_args['source']}"
    return asyncio.run(_run(args, settings, workspace, title))


async def _run(args: argparse.Namespace, settings: Settings, workspace: str, title: str) -> int:
    from assistant.agent import events as ev
    from assistant.errors import AssistantError
    from tools.restore import RestoreTool

    tool = RestoreTool()
    session, _ = open_session(
        args, settings, tools={tool.name: tool}, workspace=workspace, title=title
    )
    proposed: list[ev.ActionProposed] = []
    session.require().log.listeners.append(
        lambda e: proposed.append(e) if isinstance(e, ev.ActionProposed) else None
    )
    try:
        outcome = await session.undo(args.action_id, force=args.force)
    except AssistantError as exc:
        raise CommandError(str(exc)) from None
    finally:
        session.close()
    if outcome.status == "denied" and proposed and proposed[-1].needs_person:
        err().print(
            "assistant: files changed after that action, and the undo would lose those changes: "
            "approve it yourself (--approve ask), or add --force after reading the preview"
        )
    if outcome.by_rule:  # a deny rule covers a path the undo would change
        return EXIT_DENIED
    return {"done": EXIT_OK, "denied": EXIT_DENIED}.get(outcome.status, EXIT_FAILED)
