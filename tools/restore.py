"""restore: put workspace paths back as an undo record says they were. The one engine of
`assistant undo` and the app's undo; itself a previewed, journaled write (so an undo can be
undone), never offered to the model.

Each path named comes back as it was: a file's exact bytes and mode, a folder and its mode, or
nothing. What the action left there (``left``) is compared with the disk first: a path changed
since, or a file made since inside a folder the undo removes, is a later change the undo would
lose. The preview shows those changes (a diff of the later edits) and says so, and such an undo
needs a person (``Action.needs_person``) unless ``force`` was asked for, which the preview shows.

Order: remove children before parents, then create folders parents first, then write files,
then set folders' modes deepest first; every operation goes through ``SafeTree``, which never
follows a symbolic link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    StaleActionError,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.restore_plan import (
    MAX_PATHS,
    Plan,
    describe,
    survey,
)
from tools.undo_record import ABSENT, DIR, FILE, KINDS, Capture
from tools.words import plural

_STATE = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(KINDS)},
        "mode": {"type": "integer", "minimum": 0, "maximum": 0o7777},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "required": ["kind"],
    "additionalProperties": False,
}


class RestoreTool:
    name = "restore"
    description = (
        "Put workspace files and folders back as an undo record says they were (used by undo)."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "source": {"type": "string", "description": "the action being undone"},
            "tool": {"type": "string", "description": "the tool that action used"},
            "force": {
                "type": "boolean",
                "description": "undo even over changes made after the action (shown first)",
            },
            "paths": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_PATHS,
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "to": {
                            "type": "object",
                            "properties": {
                                "kind": {"enum": list(KINDS)},
                                "mode": {"type": "integer", "minimum": 0, "maximum": 0o7777},
                                "blob": {"type": "string", "description": "before-image hash"},
                            },
                            "required": ["kind"],
                            "additionalProperties": False,
                        },
                        "left": {
                            "description": "what the action left there; null: not recorded",
                            "anyOf": [{"type": "null"}, _STATE],
                        },
                    },
                    "required": ["path", "to", "left"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["source", "paths"],
        "additionalProperties": False,
    }

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        plan = survey(args, ctx)
        todo = plan.todo
        if not todo:
            raise ToolError(
                f"nothing to undo: every path {args['source']} changed is already as it was before"
            )
        force = bool(args.get("force"))
        lost = plan.lost
        needs_person = None
        if lost and not force:
            names = ", ".join(e.rel for e in lost[:3]) + (
                f" and {len(lost) - 3} more" if len(lost) > 3 else ""
            )
            needs_person = (
                f"changes made after the action would be lost ({names}); "
                f"approve it yourself, or run `assistant undo {args['source']} --force`"
            )
        summary = f"undo {args['source']}: {plan.counts()}"
        if lost:
            summary += " · forced over later changes" if force else " · LATER CHANGES WOULD BE LOST"
        text = describe(plan, str(args["source"]), str(args.get("tool") or ""), force)
        return Action(
            tool=self.name,
            args=dict(args),
            effect=Effect.WRITE,
            summary=escape_text(summary),
            preview=Preview(
                "diff",
                escape_text(text),
                {
                    "files": [e.rel for e in todo],
                    "changed_since": [e.rel for e in lost],
                    "force": force,
                },
            ),
            targets=tuple(f"path:{e.rel}" for e in todo),
            fingerprint=fingerprint(args, plan.state()),
            needs_person=needs_person,
            state={"now": plan.state()},
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        plan = survey(action.args, ctx)
        if plan.state() != action.state.get("now") or (
            fingerprint(action.args, plan.state()) != action.fingerprint
        ):
            raise StaleActionError(
                "the files changed since the undo's preview; nothing was restored "
                "(ask for the undo again to see a fresh preview)"
            )
        todo = plan.todo
        capture = Capture(ctx.workspace, [e.rel for e in todo])
        tree = capture.tree
        done: list[str] = []
        error = None
        depth = lambda e: e.rel.count("/")  # noqa: E731
        try:
            for e in sorted(todo, key=depth, reverse=True):  # children before their folder
                if e.now.kind != ABSENT and e.to.kind != e.now.kind:
                    if e.now.kind == DIR:
                        tree.rmdir(e.rel)
                        done.append(f"removed {e.rel}/")
                    else:
                        tree.unlink(e.rel)
                        done.append(f"removed {e.rel}")
            for e in sorted(todo, key=depth):  # folders before what goes in them
                if e.to.kind == DIR and e.now.kind != DIR:
                    tree.mkdir(e.rel, 0o700 if e.to.mode is not None else 0o777)
                    done.append(f"made {e.rel}/")
            for e in todo:
                if e.to.kind == FILE:
                    assert e.data is not None
                    tree.write(e.rel, e.data, e.to.mode)
                    done.append(f"wrote {e.rel} ({plural(len(e.data), 'byte')})")
            for e in sorted(todo, key=depth, reverse=True):  # a read-only folder last
                if e.to.kind == DIR and e.to.mode is not None and e.now.mode != e.to.mode:
                    tree.chmod_dir(e.rel, e.to.mode)
        except OSError as exc:
            error = f"{exc.strerror or exc} ({e.rel})"
        kept = capture.finish()
        source = action.args["source"]
        if error is not None:
            output = (
                f"the undo of {source} stopped part-way: {error}. What it changed so far is "
                "recorded, and this undo can itself be undone"
            )
        else:
            output = f"undid {source}: {plan.counts()}"
        shown = done[:50] + ([f"… and {len(done) - 50} more"] if len(done) > 50 else [])
        return Result(
            ok=error is None,
            output="\n".join([output, *shown]),
            display=action.summary if error is None else output,
            data={"source": source, "undo": kept.record},
            before_images=kept.before_images,
            after_images=kept.after_images,
        )


__all__ = ["Plan", "RestoreTool"]
