"""`assistant rules list|add|revoke`: rules that last, saved for one workspace (``assistant.rules``).

A rule is added from an example call, or from an action in the journal (``--from ID``: its
call, in the workspace it ran in), planned exactly as the gate plans it (nothing runs): the
rule is the scope that call's "allow for this session" would make, so a rule added here is as
narrow as one saved from the app's pane, and matched by the same code.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from assistant.cli.common import EXIT_OK, CommandError, err, load_settings, out

if TYPE_CHECKING:
    from assistant.rules import RuleBook


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "rules",
        help="list, add or revoke rules that last (always allow a kind of action here)",
        description="Saved rules allow one kind of action in one workspace without asking, "
        "like the app's 'allow for this session' but kept until revoked. They are listed and "
        "revoked here or with /grants in the app.",
    )
    rs = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    ls = rs.add_parser("list", help="the rules saved for the workspace")
    ls.add_argument("--json", action="store_true", help="one JSON object per rule")
    add = rs.add_parser(
        "add",
        help="save the rule an example call's 'allow' would make",
        description="Plan TOOL with ARGS_JSON as the gate would (nothing runs) and save the "
        "rule 'allow for this session' offers for it, e.g. assistant rules add csv_write "
        '\'{"path": "out/x.csv", "mode": "create", "rows": [["a"]]}\' saves "csv_write: '
        'create new files in out/ (not its subfolders)". With --from ACTION_ID the example is '
        "an action in the journal, for the workspace it ran in.",
    )
    add.add_argument("tool", nargs="?", help="tool name (see `assistant tool --list`)")
    add.add_argument(
        "args", nargs="?", help="an example call's arguments as a JSON object ('-': stdin)"
    )
    add.add_argument(
        "--from",
        dest="from_action",
        metavar="ACTION_ID",
        help="the example is this action (its id or a unique prefix, as `assistant history "
        "show` and the app's cards show it), instead of TOOL and ARGS_JSON",
    )
    rv = rs.add_parser("revoke", help="remove a saved rule (by its id, r1...)")
    rv.add_argument("id", help="the rule's id (r1...), as `assistant rules list` shows it")
    for q in (ls, add, rv):
        q.add_argument(
            "--workspace", metavar="DIR", help="the workspace (default: the current folder)"
        )
    ls.set_defaults(func=list_rules)
    add.set_defaults(func=add_rule)
    rv.set_defaults(func=revoke_rule)


def _book(args: argparse.Namespace) -> RuleBook:
    from assistant.errors import SetupError
    from assistant.rules import RuleBook
    from assistant.runtime import open_workspace

    try:
        ws = open_workspace(args.workspace)
    except SetupError as exc:
        raise CommandError(str(exc)) from None
    return RuleBook(ws.root)


def list_rules(args: argparse.Namespace) -> int:
    from assistant.cli.common import shown
    from assistant.cli.render import json_line

    book = _book(args)
    rules = book.rules()
    if book.problem:
        raise CommandError(f"no saved rule applies: {book.problem}")
    console = out()
    for rule in rules:
        if args.json:
            print(json_line({**rule.to_toml(), "kinds": sorted(rule.kinds)}))
        else:
            console.print(f"{rule.id}  {shown(rule.label, one_line=True)}")
    if not rules and not args.json:
        err().print(
            f"no rules saved for {book.workspace} (add one with `assistant rules add`, or r on "
            "a waiting action in the app)"
        )
    return EXIT_OK


def revoke_rule(args: argparse.Namespace) -> int:
    from assistant.cli.common import shown
    from assistant.rules import RulesError

    book = _book(args)
    try:
        rule = book.revoke(args.id)
    except KeyError as exc:
        raise CommandError(f"{exc.args[0]} (`assistant rules list` shows them)") from None
    except RulesError as exc:
        raise CommandError(str(exc)) from None
    err().print(f"revoked {rule.id}: {shown(rule.label, one_line=True)}; such calls ask again")
    return EXIT_OK


def add_rule(args: argparse.Namespace) -> int:
    from assistant.cli.common import shown
    from assistant.rules import RulesError

    settings = load_settings()
    source = ""
    if args.from_action is not None:
        if args.tool is not None:
            raise CommandError("give TOOL and ARGS_JSON, or --from ACTION_ID, not both")
        args.tool, raw, workspace, source = _example(args.from_action)
        if args.workspace is not None and not _same_folder(args.workspace, workspace):
            raise CommandError(
                f"action {args.from_action} ran in {workspace}: a rule from it is for that "
                "workspace (leave out --workspace)"
            )
        args.workspace = workspace
    elif args.tool is None or args.args is None:
        raise CommandError("give TOOL and ARGS_JSON (an example call), or --from ACTION_ID")
    else:
        raw = sys.stdin.read() if args.args == "-" else args.args
    book = _book(args)
    try:
        action = _plan(settings, book.workspace, args.tool, raw)
    except CommandError as exc:
        if not source:
            raise
        raise CommandError(
            f"action {args.from_action} cannot be planned again as things are now ({exc}); "
            "a rule is saved from a call as it would run now: give one as TOOL ARGS_JSON"
        ) from None
    if action.needs_person:
        raise CommandError(
            f"{args.tool}: this call needs a person each time ({action.needs_person}); no rule "
            "can allow it"
        )
    if action.scope is None:
        what = "a read, which runs without asking" if action.effect.value == "read" else ""
        raise CommandError(
            f"{args.tool}: this call offers no rule"
            + (f" ({what})" if what else " (every such call is asked, e.g. removals)")
        )
    try:
        rule = book.add(action.tool, action.scope.key, action.scope.kinds, action.scope.label)
    except RulesError as exc:
        raise CommandError(str(exc)) from None
    print(rule.id)
    err().print(
        f"saved {rule.id} for {book.workspace}: {shown(rule.label, one_line=True)}{source} "
        "(`assistant rules revoke` removes it)"
    )
    return EXIT_OK


def _example(action_id: str) -> tuple[str, str, str, str]:
    """The call of a journaled action, as an example for a rule: (tool, its arguments as
    JSON, the workspace it ran in, words saying where it came from). Its session must pass the
    resume rule (an altered session or an imported copy is no example)."""
    import json

    from assistant.agent import action_life
    from assistant.cli.common import open_journal
    from assistant.journal import JournalError

    journal = open_journal()
    try:
        record = journal.find_action(action_id)
        life = action_life.find(journal, record.session_id, record.action_id)
        session = journal.check_resumable(record.session_id)
    except JournalError as exc:
        raise CommandError(f"action {action_id}: {exc}") from None
    finally:
        journal.close()
    if life is None:
        raise CommandError(f"action {action_id}: its proposal cannot be read")
    proposed = life.proposed
    where = f" (from action {record.action_id[:12]}, session {record.session_id[:8]})"
    return proposed.tool, json.dumps(proposed.args), session.workspace, where


def _same_folder(a: str, b: str) -> bool:
    from pathlib import Path

    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _plan(settings: Any, workspace: str, name: str, raw: str) -> Any:
    """Plan the call as the gate does (arguments checked, deny rules and the outbound secret
    check applied); nothing runs and nothing is journaled."""
    from assistant.agent import faults
    from assistant.runtime import open_workspace, session_policy, tool_context
    from assistant.secrets import ConfiguredSecrets, SecretStore, plan_checked, redactor
    from tools import builtin_tools
    from tools.base import ToolError, validate_args

    tools = builtin_tools()
    tool = tools.get(name)
    if tool is None:
        raise CommandError(
            f"unknown tool {name!r}; rules can be saved for: {', '.join(sorted(tools))}"
        )
    try:
        args = faults.parse_args(raw)
    except faults.ArgumentError as exc:
        raise CommandError(str(exc)) from None
    ws = open_workspace(workspace)
    store = SecretStore(settings.keyring_timeout)
    ctx = tool_context(settings, ws, ConfiguredSecrets(store, settings.secrets, redactor()), None)
    policy = session_policy(settings)
    ctx.denied, ctx.unlocked = policy.target_denied, policy.unlocked
    try:
        faults.check_args(args)
        args = validate_args(tool.parameters, args)
        action = plan_checked(tool, args, ctx)
    except ToolError as exc:
        raise CommandError(f"{name}: {faults.scrub(str(exc), [str(ws.root)])}") from None
    if policy.decide(action).kind == "deny":
        raise CommandError(f"{name}: a deny rule covers this call; no rule can allow it")
    return action
