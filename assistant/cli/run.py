"""`assistant run PROMPT`: one headless turn with the model, every write decided on the console."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from assistant.cli.common import (
    EXIT_FAILED,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    err,
    load_settings,
)
from assistant.cli.session_args import add_session_options, open_session

if TYPE_CHECKING:
    from assistant.config import Settings

MODEL_ERRORS = {"auth", "quota", "config", "not_found"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="ask the model once, headless, with the same approvals as the app",
        description="Stream the model's answer; show each action's preview and decide it per --approve.",
    )
    p.add_argument("prompt", help="what to ask ('-' reads it from stdin)")
    p.add_argument(
        "--model", help="a litellm model string, e.g. openai/gpt-4.1-mini or ollama_chat/llama3.1"
    )
    p.add_argument(
        "--api-base", metavar="URL", help="base URL of an OpenAI-compatible or local server"
    )
    p.add_argument(
        "--resume", metavar="SESSION", help="continue an earlier session (id or unique prefix)"
    )
    add_session_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.errors import SetupError

    settings = load_settings()
    overrides = {k: v for k, v in (("model", args.model), ("api_base", args.api_base)) if v}
    settings = dataclasses.replace(settings, **overrides)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise CommandError("the prompt is empty")
    import asyncio

    try:
        return asyncio.run(_run(args, settings, prompt))
    except SetupError as exc:
        raise CommandError(str(exc), EXIT_MODEL if exc.model_problem else EXIT_USAGE) from None


async def _run(args: argparse.Namespace, settings: Settings, prompt: str) -> int:
    from assistant.mcp.servers import McpStart
    from assistant.runtime import build_model
    from tools import builtin_tools

    if not settings.model:
        build_model(settings)  # raises the clear "no model configured" error
    session, renderer = open_session(
        args,
        settings,
        tools=builtin_tools(),
        workspace=args.workspace,
        allow_hosts=args.allow_host,
        resume=args.resume,
        mcp=McpStart(),
    )
    try:
        session.model()  # a missing key is said before anything is journaled as a turn
        rt = session.require()
        for note in rt.notes:
            err().print(f"assistant: {note}")
        if not args.json:
            err().print(
                f"session {rt.session_id[:8]} · {settings.model} · {rt.gate.ctx.workspace.root}"
            )
        outcome = await session.turn(prompt)
    finally:
        renderer.waiting.clear()  # a "thinking…" status never stays above what comes next
        session.close()
    if outcome.reason == "done":
        return EXIT_OK
    if outcome.error is not None and outcome.error.kind in MODEL_ERRORS:
        return EXIT_MODEL
    return EXIT_FAILED
