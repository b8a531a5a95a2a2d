"""The chat screen's resume: a stored session continued in the chat, if the resume rule lets it.

A refusal is known before the open session is given up, so the person goes on where they were;
a resume that fails after that (the session changed since the check) leaves a new session open,
as at launch, never none.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from assistant import present
from assistant.agent import events as ev
from assistant.ui.approver import STOPPED

if TYPE_CHECKING:
    from pathlib import Path

    from textual.screen import Screen

    from assistant.session import Session
    from assistant.ui.widgets.conversation import ConversationView

    _Base = Screen[None]
else:
    _Base = object

STILL_HERE = "Nothing changed here: type to go on in this session, or F2 for the history."
NEW_HERE = "A new session is open here: type to start, or F2 for the history."


class SessionSwitch(_Base):
    """Mixed into ChatScreen, which provides the session, the view and how to open one."""

    session: Session
    session_error: str

    if TYPE_CHECKING:

        @property
        def view(self) -> ConversationView: ...
        async def stop(self, reason: str = STOPPED) -> None: ...
        def start_session(self, resume: str | None = None) -> None: ...

    async def resume(self, session_id: str) -> bool:
        """Continue a stored session here: its events are painted, its messages resumed."""
        from assistant.journal import JournalError

        await self.stop(STOPPED)
        rt = self.session.runtime
        if rt is None:
            self.view.notice("no journal is open", error=True)
            return False
        try:
            info = rt.journal.get_session(session_id)
            stored = rt.journal.events(info.id)
        except JournalError as exc:
            self.view.notice(str(exc), error=True)
            return False
        # refused before this session is given up: the person goes on where they were
        problem = await asyncio.to_thread(self.session.resume_problem, info.id)
        if problem:
            self.view.notice(f"Not resumed: {problem.rstrip('.')}. {STILL_HERE}", error=True)
            return False
        here = self.session.workspace
        self.session.close()
        self.session.workspace = info.workspace
        self.view.clear()
        for item in stored:
            event = ev.parse(item.kind, item.payload)
            if isinstance(event, ev.Unreadable):
                continue  # a kind this build does not draw
            moment = present.parse_ts(item.ts)
            self.view.apply(event, at=moment.astimezone() if moment else None)
        self.view.mark_unfinished()
        self.start_session(resume=info.id)
        if self.session.runtime is None:  # refused after all (it changed since the check)
            self._fresh_session(here, self.session_error)
            return False
        self.view.notice(f"resumed session {info.id[:8]}; the model sees its conversation")
        return True

    def _fresh_session(self, workspace: str | Path | None, refusal: str) -> None:
        """After a resume that failed once this session was given up: a new one, as at launch
        (it is recorded with its first event), so the person can go on working."""
        self.session.workspace = workspace
        self.session_error = ""
        self.view.clear()
        self.start_session()
        if self.session.runtime is not None:
            self.view.notice(f"Not resumed: {refusal.rstrip('.')}. {NEW_HERE}", error=True)
