"""Verification and the resume/undo rule, as Journal methods (see ``_verify`` and ``_report``)."""

from __future__ import annotations

from assistant.journal import _keys, _query, _report, _verify
from assistant.journal._connection import Connection
from assistant.journal._records import JournalReport, NotResumable, SessionInfo, VerifyResult


class Checks(Connection):
    """What verify, `assistant history verify`, resume and undo ask of the journal."""

    def _key_for_reading(self) -> _keys.KeyInfo:
        """The key verify checks with: the writer's, else the keyring's (never made here)."""
        if self._ledger.has_key:
            return self._ledger.key
        if self._read_key is None:
            self._read_key = _keys.lookup(self.path, self._ledger.journal_id)
        return self._read_key

    def verify(self, session_id: str) -> VerifyResult:
        """Check one session (chains, header, summary); the result names what fails first."""
        info = self._key_for_reading()
        with self._tx("verify", write=False) as db:
            sid = _query.resolve(db, session_id)
            view = _verify.KeyView.load(db, info)
            return _verify.verify_session(db, sid, view, legacy_upto=_verify.legacy_records(db))

    def verify_all(self) -> list[VerifyResult]:
        """``verify`` for every session, oldest first, in one consistent snapshot."""
        return list(self._sessions_report().sessions)

    def verify_journal(self, *, sessions: bool = True) -> JournalReport:
        """Check everything: the database file (integrity_check), every blob's hash, the
        journal-wide chain and its head record outside the file, and (unless ``sessions`` is
        False) every session."""
        info = self._key_for_reading()
        head_file = self._ledger.head
        head = head_file.read()  # before the snapshot: see _report.audit
        with self._tx("verify", write=False) as db:
            return _report.audit(
                db,
                self.path,
                self._ledger.journal_id,
                info,
                head,
                head_file.path.name,
                sessions=sessions,
            )

    def _sessions_report(self) -> JournalReport:
        info = self._key_for_reading()
        with self._tx("verify", write=False) as db:
            view = _verify.KeyView.load(db, info)
            a = _report._Audit(db, self.path, self._ledger.journal_id, info)
            found = a.sessions(view)
            return JournalReport(str(self.path), True, False, 0, 0, (), (), tuple(found))

    def check_resumable(self, session_id: str) -> SessionInfo:
        """The one rule for resume and undo, in the CLI and the app: the session must verify,
        the journal must not have lost records since it began, and it must not be an imported
        read-only copy. Raises NotResumable saying which; returns the session otherwise."""
        info = self._key_for_reading()
        head = self._ledger.head.read()  # before the snapshot: see _report.audit
        with self._tx("check a session", write=False) as db:
            sid = _query.resolve(db, session_id)
            view = _verify.KeyView.load(db, info)
            result = _verify.verify_session(db, sid, view, legacy_upto=_verify.legacy_records(db))
            row = db.execute(
                "SELECT gseq FROM ledger WHERE session_id = ? AND seq = 0", (sid,)
            ).fetchone()
            lost = _report.continuity(db, self._ledger.journal_id, head, int(row[0]) if row else 1)
            session = _query.session_infos(db, [sid])[0]
            header = _verify._note(
                db.execute("SELECT header FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
            )
        if not result.ok:
            raise NotResumable(
                f"session {sid[:8]} fails verification ({result.reason}): it cannot be resumed"
                " or undone; `assistant history verify` shows what was altered"
            )
        if lost:
            raise NotResumable(
                f"session {sid[:8]} cannot be resumed or undone: the journal lost records"
                f" ({lost}); `assistant history verify` shows what"
            )
        meta = header.get("meta")
        if isinstance(meta, dict) and meta.get("read_only"):
            imported = meta.get("imported")
            source = imported.get("source_session") if isinstance(imported, dict) else None
            origin = f" (imported from session {source})" if isinstance(source, str) else ""
            raise NotResumable(
                f"session {sid[:8]} is a read-only copy{origin}: it cannot be resumed or"
                " undone here (its files are another machine's); start a new session, or make"
                " a recipe from it with `assistant export ID --format recipe`"
            )
        return session
