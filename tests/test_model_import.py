"""In a fresh process: importing the adapter leaves litellm unloaded; loading it (from two threads
at once) sets the offline switch, and neither that nor real calls print anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = r"""
import asyncio, json, os, sys, threading, time

import assistant.agent.model as adapter

report = {
    "litellm_on_import": "litellm" in sys.modules,
    "openai_on_import": "openai" in sys.modules,
    "textual_on_import": any(m == "textual" or m.startswith("textual.") for m in sys.modules),
    "offline_before": os.environ.get("LITELLM_OFFLINE_MODE"),
}
loaded = []
threads = [threading.Thread(target=lambda: loaded.append(adapter.load_litellm())) for _ in range(2)]
start = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
report["load_s"] = time.perf_counter() - start
report["same_module"] = len(loaded) == 2 and loaded[0] is loaded[1] is sys.modules["litellm"]
report["offline_after"] = os.environ.get("LITELLM_OFFLINE_MODE")
report["suppress_debug_info"] = loaded[0].suppress_debug_info

from tests.support.fake_llm import FakeLLM, cut, error, text

async def noop(_):
    return None

async def calls(server):
    outcomes = []
    for name in (server.model(), server.model(), server.model(), "openai/gpt-4o-mini", "meta-llama/x"):
        model = adapter.Model(name, api_base=server.base_url, sleep=noop, max_attempts=2)
        try:
            async for item in model.stream([{"role": "user", "content": "hi"}], []):
                if isinstance(item, adapter.ModelReply):
                    outcomes.append(["reply", item.usage.cost_usd if item.usage else "no usage"])
        except adapter.ModelError as exc:
            outcomes.append(["error", exc.kind])
    return outcomes

with FakeLLM() as server:
    server.queue(error(401), text("hi", chunks=3), cut(text="par"), text("priced"))
    report["outcomes"] = asyncio.run(calls(server))

with open(sys.argv[1], "w") as fh:
    json.dump(report, fh)
"""


@pytest.mark.slow  # one fresh interpreter importing litellm: about 5 s on 2 cores
def test_lazy_quiet_import_and_silent_calls(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if k not in ("LITELLM_OFFLINE_MODE", "LITELLM_LOG")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "", "nothing may be printed to stdout"
    assert proc.stderr == "", "nothing may be printed to stderr (Textual draws there)"
    report = json.loads(out.read_text())
    assert report["litellm_on_import"] is False
    assert report["openai_on_import"] is False
    assert report["textual_on_import"] is False
    assert report["offline_before"] is None
    assert report["offline_after"] == "true"
    assert report["same_module"] is True
    assert report["suppress_debug_info"] is True
    outcomes = report["outcomes"]
    assert outcomes[:3] == [["error", "auth"], ["reply", None], ["error", "stream_cut"]]
    assert outcomes[3][0] == "reply" and outcomes[3][1] > 0  # gpt-4o-mini has a price
    assert outcomes[4] == ["error", "config"]
