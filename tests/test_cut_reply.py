"""A reply that did not finish (the person pressed Esc while it streamed, or the stream broke)
keeps the text it had shown: the journal holds it, and `assistant history show`, the exports and
the replay show it, marked as cut off ("… (stopped)" / "… (cut off)", ``present.cut_off``).
Through the real paths: `assistant run` against the fake model server, the app driven by Pilot,
the CLI's history and export commands, the replay screen opened from the history."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import fake_llm as llm
from tests.support.cli import assistant as cli
from tests.support.cli import env_fixture, model_args  # noqa: F401  (the "env" fixture)
from tests.support.history_app import replay_newest, settle, shown
from tests.support.pilot import SIZE, AppOpener, send, stop_mid_stream, turn_done

SAID = "Here is the first half of my answer, and then"


def show_and_export(env: dict[str, str], session_id: str) -> dict[str, str]:
    """What `history show` and each transcript export print for the session."""
    out = {}
    for name, args in (
        ("show", ["history", "show", session_id]),
        ("md", ["export", session_id, "--format", "md"]),
        ("html", ["export", session_id, "--format", "html"]),
        ("jsonl", ["export", session_id, "--format", "jsonl"]),
    ):
        done = cli(env, *args)
        assert done.returncode == 0, done.stderr
        out[name] = done.stdout
    return out


def test_a_broken_stream_keeps_its_text_in_history_and_exports(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    fake_llm.queue(llm.cut(text=SAID))
    done = cli(env, "run", "hi", *model_args(fake_llm), "--workspace", str(workspace_dir), "--json")
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    session_id = lines[0]["session_id"]
    (stopped,) = [line for line in lines if line["kind"] == "turn.error"]
    assert stopped["error"] == "stream_cut" and stopped["partial"] == SAID

    out = show_and_export(env, session_id)
    show = out["show"].splitlines()
    at = show.index(f"    {SAID}")
    assert show[at - 1].endswith(" assistant:") and show[at + 1] == "    … (cut off)"
    assert "turn failed (stream_cut)" in show[at + 2]
    md = out["md"]
    assert f"```text\n{SAID}\n```\n\n_… (cut off)_" in md
    assert md.index("### Answer") < md.index(SAID) < md.index("**Turn stopped**")
    assert f"<pre>\n{SAID}</pre>" in out["html"] and "<em>… (cut off)</em>" in out["html"]
    kept = [json.loads(line) for line in out["jsonl"].splitlines()]
    assert any(e.get("payload", {}).get("partial") == SAID for e in kept), kept


async def test_a_reply_stopped_with_esc_shows_in_history_exports_and_replay(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, open_app: AppOpener
) -> None:
    full = "one two three four five six"
    fake_llm.queue(llm.text(full, chunks=6, stall_after=3))
    async with open_app(fake_llm, size=SIZE) as pilot:
        app = pilot.app
        stopped = await stop_mid_stream(pilot, fake_llm, "count")
        partial: str = stopped["partial"]
        assert partial and full.startswith(partial) and partial != full
        for n in range(2):  # more of the session after it, so the replay can step over it
            fake_llm.queue(llm.text(f"Answer {n}."))
            await send(pilot, f"prompt {n}")
            await turn_done(pilot)
        session_id = app.session.session_id

        # the history (F2), enter on the session: the replay, at its end, then back to the
        # start and forward over the cut reply again
        replay = await replay_newest(pilot)
        await pilot.press("end")
        await settle(pilot)
        at_end = shown(replay.view)
        await pilot.press("home")
        await settle(pilot)
        for _ in range(3):  # the prompt, the turn's end with its cut reply
            await pilot.press("right")
            await settle(pilot)
        stepped = shown(replay.view)
        await pilot.press("ctrl+q")
    reply = f"reply {partial}"
    assert at_end.count(reply) == 1, at_end
    cut = at_end.index(reply)
    assert at_end[cut - 1 : cut + 2] == ["notice you  count", reply, "notice ■ stopped by the user"]
    assert stepped == ["notice you  count", reply, "notice ■ stopped by the user"], stepped

    out = show_and_export(env, session_id)
    show = out["show"].splitlines()
    at = next(i for i, line in enumerate(show) if line.strip() == partial.strip())
    assert show[at + 1] == "    … (stopped)" and "turn failed (cancelled)" in show[at + 2]
    assert f"{partial}\n```\n\n_… (stopped)_" in out["md"]
    assert "<em>… (stopped)</em>" in out["html"]
