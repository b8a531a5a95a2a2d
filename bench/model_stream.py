"""Figures for the model adapter: litellm's import time and streaming overhead per chunk.

Run from the repository root: ``.venv/bin/python -m bench.model_stream [--chunks 4000] [--runs 3]``.
Everything stays on 127.0.0.1 (the fake server from tests/support).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.agent.model import Model, ModelReply, load_litellm  # noqa: E402
from tests.support.fake_llm import FakeLLM, text  # noqa: E402

IMPORT_PROBE = (
    "import time; t = time.perf_counter(); "
    "from assistant.agent.model import load_litellm; load_litellm(); "
    "print(time.perf_counter() - t)"
)


def import_seconds() -> float:
    """load_litellm() in a fresh interpreter (what the first message of a session pays)."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


async def stream_once(server: FakeLLM, chunks: int) -> tuple[float, float, int]:
    """(seconds to the first delta, total seconds, deltas) for one streamed reply."""
    server.queue(text("x" * chunks, chunks=chunks))
    model = Model(server.model(), api_base=server.base_url)
    start = time.perf_counter()
    first = 0.0
    deltas = 0
    async for item in model.stream([{"role": "user", "content": "go"}], []):
        if isinstance(item, ModelReply):
            break
        deltas += 1
        if deltas == 1:
            first = time.perf_counter() - start
    return first, time.perf_counter() - start, deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    imports = [import_seconds() for _ in range(args.runs)]
    print(
        f"litellm import via load_litellm(): median {statistics.median(imports):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in imports)})"
    )

    load_litellm()
    with FakeLLM() as server:
        asyncio.run(stream_once(server, 10))  # warm the client pool
        results = [asyncio.run(stream_once(server, args.chunks)) for _ in range(args.runs)]
    if any(deltas != args.chunks for _, _, deltas in results):
        raise SystemExit(f"expected {args.chunks} deltas per run, got {[r[2] for r in results]}")
    totals = [total for _, total, _ in results]
    firsts = [first for first, _, _ in results]
    median = statistics.median(totals)
    print(
        f"{args.chunks} chunks through Model.stream: median {median:.2f} s, "
        f"{median / args.chunks * 1000:.3f} ms/chunk, {args.chunks / median:.0f} chunks/s; "
        f"first delta after median {statistics.median(firsts) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
