"""Startup and streaming figures for the app, each beside its baseline in the same run.

1. Time to first frame (process start → Textual's Ready event, in a pseudo-terminal): `assistant`
   beside a bare Textual app. Target: within 1.3x.
2. Wall time of streaming a 4,000-chunk Markdown answer from the fake OpenAI-compatible server:
   in the app (headless; from the prompt until the answer's last chunk is on screen, not counting
   the turn's bookkeeping after it) beside a headless litellm consumer of the same stream, from
   the request until its stream ends. Target: within 1.1x. The server runs in a process of its own, as a real one
   would: in a thread of the measured process it would compete with the app for the GIL, so
   the app's work would also slow the server down and be counted twice.

3. A prompt typed at launch: from spawning `assistant` (which submits "hi" at its first frame,
   as a person typing at once) until the request reaches the fake model server, beside litellm's
   own import time (spawning `python -c "import litellm"` until the import is done). The prompt
   waits for the model library (the app preloads it after the first frame and the session
   open), then goes at once.
   Target: within 1.1x. Also shown: the import with the garbage collector off, as the app does
   it, so the app's own overhead can be read apart from that saving.

Run: .venv/bin/python bench/first_frame.py [--runs N] [--only first-frame|stream|prompt]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import os, sys, time
from pathlib import Path
out = Path(os.environ["BENCH_OUT"])
if sys.argv[1].startswith("litellm"):
    if sys.argv[1] == "litellm-nogc":  # as the app imports it
        import gc

        gc.disable()
    import litellm

    out.write_text(repr(time.time()))
elif sys.argv[1] == "bare":
    from textual.app import App
    from textual.widgets import Footer, Static

    class Bare(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

        def on_ready(self):
            out.write_text(repr(time.time()))
            self.exit()

    Bare().run()
else:
    from assistant.cli import app_class, app_only_args
    from assistant.cli.common import load_settings

    class Timed(app_class()):  # as `assistant` imports it (collector off until litellm is in)
        def on_ready(self):
            out.write_text(repr(time.time()))
            if sys.argv[1] == "prompt":  # typed at once: held until it can be sent
                self.chat.prompt.load_text("hi")
                self.chat.prompt.submit()
            else:
                self.exit()

    args = app_only_args(sys.argv[2:])  # what `assistant --model ...` does
    Timed(load_settings(), model=args.app_model, api_base=args.app_api_base,
          workspace=args.app_workspace).run()
"""


def first_frame(
    kind: str, home: Path, workspace: Path, api_base: str = "http://127.0.0.1:9/v1"
) -> float:
    """Seconds from spawning the process to its first frame (or, for "litellm", to the end of
    its import), in a real pseudo-terminal. "prompt" returns at once: the app stays up, sending
    its prompt; the caller times the request's arrival and stops it."""
    out = home / f"ready-{kind}"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(home),
        "BENCH_OUT": str(out),
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "36",
    }
    # An installed app has its bytecode compiled (pip does it); where PYTHONDONTWRITEBYTECODE is
    # set, every start would compile our modules again while site-packages stay compiled.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, "-c", CHILD, kind]
    if kind in ("assistant", "prompt"):
        argv += ["--model", "openai/fake", "--api-base", api_base]
        argv += ["--workspace", str(workspace)]
    master, slave = pty.openpty()
    drained = threading.Thread(target=_drain, args=(master,), daemon=True)
    drained.start()
    started = time.time()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    if kind == "prompt":
        _launched.append((proc, master, started))
        return started
    proc.wait(timeout=60)
    os.close(master)
    if not out.exists():
        raise RuntimeError(f"{kind}: no first frame recorded (exit {proc.returncode})")
    return float(out.read_text()) - started


_launched: list[tuple[subprocess.Popen[bytes], int, float]] = []


PROMPT_SERVER = r"""
import sys, time
from tests.support import fake_llm as llm

with llm.FakeLLM() as server:
    print(server.base_url, flush=True)
    for line in sys.stdin:  # one line per run: answer once, say when the request arrived
        server.queue(llm.text("ok"))
        seen = len(server.requests)
        while len(server.requests) == seen:
            time.sleep(0.001)
        print(repr(time.time()), flush=True)
"""


def prompt_at_launch(runs: int, home: Path, workspace: Path) -> None:
    """Launch → the typed prompt's request at the model server, beside `import litellm`."""
    server = subprocess.Popen(
        [sys.executable, "-c", PROMPT_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert server.stdin is not None and server.stdout is not None
    imports, quiet, prompts = [], [], []
    try:
        base = server.stdout.readline().strip()
        for run in range(runs + 1):  # the first run of each warms the OS file cache
            took = first_frame("litellm", home, workspace)
            took_quiet = first_frame("litellm-nogc", home, workspace)
            server.stdin.write("next\n")
            server.stdin.flush()
            started = first_frame("prompt", home, workspace, base)
            arrived = float(server.stdout.readline())
            proc, master, _ = _launched.pop()
            proc.terminate()
            proc.wait(timeout=30)
            os.close(master)
            if run:
                imports.append(took)
                quiet.append(took_quiet)
                prompts.append(arrived - started)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    i, p = statistics.median(imports), statistics.median(prompts)
    print(f"prompt typed at launch (pty, median of {runs}):")
    print(f"  import litellm     {i * 1000:7.0f} ms")
    q = statistics.median(quiet)
    print(f"  launch → request   {p * 1000:7.0f} ms   ratio {p / i:.2f}x (target <= 1.1x)")
    print(
        f"  import, gc off     {q * 1000:7.0f} ms   (as the app imports it: request {p / q:.2f}x)"
    )
    print(
        "  each run (import / gc off / request, ms): "
        + ", ".join(
            f"{x * 1000:.0f}/{z * 1000:.0f}/{y * 1000:.0f}"
            for x, z, y in zip(imports, quiet, prompts, strict=True)
        )
    )


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        return


def answer(chunks: int) -> str:
    """A Markdown answer of ``chunks`` pieces: paragraphs, a list, a code block."""
    words = []
    for i in range(chunks):
        if i % 400 == 399:
            words.append(f"\n\n## Part {i // 400 + 1}\n\n")
        elif i % 50 == 49:
            words.append(f"\n- item {i} ")
        else:
            words.append("word ")
    return "".join(words)


async def headless_stream(model: str, base: str) -> tuple[float, int]:
    from assistant.agent.model import load_litellm

    litellm = load_litellm()
    started = time.perf_counter()
    response = await litellm.acompletion(
        model=model,
        api_base=base,
        api_key="sk-bench",
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        stream_options={"include_usage": True},
        max_retries=0,
    )
    text = []
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            text.append(chunk.choices[0].delta.content)
    return time.perf_counter() - started, len("".join(text))


async def app_stream(model: str, base: str, workspace: Path) -> tuple[float, int]:
    from assistant.config import Settings
    from assistant.ui.app import AssistantApp

    app = AssistantApp(Settings(), model=model, api_base=base, workspace=workspace, preload=False)
    async with app.run_test(size=(120, 36)) as pilot:
        while app.session.runtime is None:
            await pilot.pause(0.01)
        chat = app.chat
        answered = asyncio.Event()
        app.session.runtime.log.listeners.append(
            lambda event: answered.set() if event.kind == "assistant.message" else None
        )
        started = time.perf_counter()
        chat.start_turn("go")
        assert chat.turn_worker is not None
        await answered.wait()  # the whole answer is in: what is left is painting it
        replies = list(chat.view.query("Reply").results())
        for reply in replies:
            await reply.drained()  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
        await chat.turn_worker.wait()
        await pilot.pause()
        painted = sum(len(r.reply_text) for r in replies)  # type: ignore[attr-defined]
    return elapsed, painted


SERVER = r"""
import sys
from bench.first_frame import answer
from tests.support import fake_llm as llm

runs, chunks = int(sys.argv[1]), int(sys.argv[2])
with llm.FakeLLM() as server:
    server.queue(llm.text("warm"), llm.text("warm"))
    for _ in range(2 * runs):
        server.queue(llm.text(answer(chunks), chunks=chunks))
    print(server.base_url, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


async def streaming(runs: int, chunks: int, workspace: Path) -> tuple[list[float], list[float]]:
    from tests.support.fake_llm import MODEL_NAME

    os.environ["OPENAI_API_KEY"] = "sk-bench"
    text = answer(chunks)
    model = f"openai/{MODEL_NAME}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(runs), str(chunks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert server.stdin is not None and server.stdout is not None
    base_times, app_times = [], []
    try:
        base = server.stdout.readline().strip()
        if not base:
            raise RuntimeError("the fake model server did not start")
        # warm both paths once (litellm's first call imports provider modules)
        await headless_stream(model, base)
        await app_stream(model, base, workspace)
        for _ in range(runs):
            gc.collect()  # each run starts without the garbage of the one before
            t, n = await headless_stream(model, base)
            assert n == len(text), (n, len(text))
            base_times.append(t)
            gc.collect()
            t, n = await app_stream(model, base, workspace)
            assert n == len(text), (n, len(text))
            app_times.append(t)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return base_times, app_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=4000)
    parser.add_argument("--only", choices=("first-frame", "stream", "prompt"), help="run one part")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        workspace = Path(tmp) / "ws"
        home.mkdir()
        workspace.mkdir()
        os.environ["ASSISTANT_HOME"] = str(home)
        os.environ["LITELLM_OFFLINE_MODE"] = "true"
        if opts.only in (None, "first-frame"):
            first_frames(opts.runs, home, workspace)
        if opts.only in (None, "stream"):
            streams(opts.runs, opts.chunks, workspace)
        if opts.only in (None, "prompt"):
            prompt_at_launch(opts.runs, home, workspace)


def first_frames(runs: int, home: Path, workspace: Path) -> None:
    first_frame("bare", home, workspace)  # warm the OS file cache for both
    first_frame("assistant", home, workspace)
    bare, app = [], []
    for _ in range(runs):
        bare.append(first_frame("bare", home, workspace))
        app.append(first_frame("assistant", home, workspace))
    b, a = statistics.median(bare), statistics.median(app)
    print(f"first frame (pty, median of {runs}):")
    print(f"  bare Textual app   {b * 1000:7.0f} ms")
    print(f"  assistant          {a * 1000:7.0f} ms   ratio {a / b:.2f}x (target <= 1.3x)")
    print(
        "  each run (bare / assistant, ms): "
        + ", ".join(f"{x * 1000:.0f}/{y * 1000:.0f}" for x, y in zip(bare, app, strict=True))
    )


def streams(runs: int, chunks: int, workspace: Path) -> None:
    base_times, app_times = asyncio.run(streaming(runs, chunks, workspace))
    hb, ha = statistics.median(base_times), statistics.median(app_times)
    print(f"streaming {chunks:,} chunks (median of {runs}):")
    print(f"  headless litellm   {hb * 1000:7.0f} ms")
    print(f"  in the app         {ha * 1000:7.0f} ms   ratio {ha / hb:.2f}x (target <= 1.1x)")
    print(
        "  each run (headless / app, ms): "
        + ", ".join(
            f"{b * 1000:.0f}/{a * 1000:.0f}" for b, a in zip(base_times, app_times, strict=True)
        )
    )


if __name__ == "__main__":
    main()
