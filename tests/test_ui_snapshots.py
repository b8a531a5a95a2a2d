"""Snapshots of the chat with an action waiting in the confirm pane: an HTTP write (request card
with a secret handle), a CSV overwrite (row/cell diff) and a shell write (unified diff); a long
csv_write the tool summarised, at 80x24 (top, scrolled to the end, the full-preview screen) and
at 120x36; and a request to a private address, whose unlock the pane names.

Deterministic: fixed terminal size, session id, clock, DNS answer and home folder. Update with
``pytest tests/test_ui_snapshots.py --snapshot-update`` after checking the new SVGs by eye.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from assistant.config import Settings
from assistant.secrets import SERVICE
from assistant.ui.app import AssistantApp
from tests.support.fixed_ids import fixed_action_ids
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import send, wait_for
from tools import builtin_tools
from tools.http_request import HttpRequestTool

SIZE = (120, 36)
SMALL = (80, 24)


def fixed_dns(host: str, port: int) -> list[str]:
    """Every name is one public address; an IP literal is itself (no lookup ever leaves)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return ["93.184.215.14"]


@pytest.fixture
def snap_app(
    tmp_path: Path,
    workspace_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> AssistantApp:
    monkeypatch.setenv("HOME", str(tmp_path))  # the status line shows the workspace as ~/ws
    fixed_action_ids(monkeypatch)
    memory_keyring.store[(SERVICE, "shop")] = "s3cr3t-shop-token"
    (workspace_dir / "orders.csv").write_text(
        "id,customer,total,status\n10231,ACME GmbH,120.00,open\n10232,Rossi S.r.l.,74.50,open\n"
        "10233,Nordwind AG,18.00,open\n"
    )
    (workspace_dir / "notes.txt").write_text("first line\nsecond line\n")
    tools = builtin_tools()
    tools["http_request"] = HttpRequestTool(resolver=fixed_dns)
    settings = Settings(model="openai/gpt-4.1", secrets={"shop": ("shop.example.com",)})
    return AssistantApp(
        settings,
        workspace=workspace_dir,
        preload=False,
        clock=lambda: datetime(2026, 11, 25, 14, 2, 11),
        tools=tools,
        new_id=lambda: "7f3a9c2e" + "0" * 24,
    )


def waiting_after(command: str, *keys: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, AssistantApp)
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await send(pilot, command)
        await wait_for(pilot, lambda: app.chat.pane.current is not None, "the pane")
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()

    return run_before


def test_pending_http_write(snap_compare: Any, snap_app: AssistantApp) -> None:
    command = (
        '/tool http_request {"method": "POST", "url": "https://shop.example.com/api/orders", '
        '"headers": {"Authorization": "Bearer {{secret:shop}}"}, '
        '"json": {"id": 10234, "customer": "ACME GmbH", "total": 99.5, "status": "paid"}}'
    )
    assert snap_compare(snap_app, terminal_size=SIZE, run_before=waiting_after(command))


def test_pending_csv_overwrite_row_diff(snap_compare: Any, snap_app: AssistantApp) -> None:
    command = (
        '/csv write {"path": "orders.csv", "mode": "overwrite", "rows": ['
        '["id", "customer", "total", "status"], ["10231", "ACME GmbH", "120.00", "paid"], '
        '["10233", "Nordwind AG", "18.00", "open"], ["10234", "Lyon SARL", "42.00", "paid"]]}'
    )
    assert snap_compare(snap_app, terminal_size=SIZE, run_before=waiting_after(command))


def test_pending_shell_write_unified_diff(snap_compare: Any, snap_app: AssistantApp) -> None:
    command = "/sh echo third line >> notes.txt"
    assert snap_compare(snap_app, terminal_size=SIZE, run_before=waiting_after(command))


def long_write() -> str:
    rows = [["id", "customer", "total", "status"]] + [
        [str(10000 + i), f"customer {i:04d}", f"{i}.50", "paid"] for i in range(1, 1001)
    ]
    return "/csv write " + json.dumps({"path": "paid.csv", "mode": "create", "rows": rows})


def test_long_csv_write_at_80x24(snap_compare: Any, snap_app: AssistantApp) -> None:
    assert snap_compare(snap_app, terminal_size=SMALL, run_before=waiting_after(long_write()))


def test_long_csv_write_at_80x24_scrolled_to_the_end(
    snap_compare: Any, snap_app: AssistantApp
) -> None:
    run_before = waiting_after(long_write(), "end")
    assert snap_compare(snap_app, terminal_size=SMALL, run_before=run_before)


def test_long_csv_write_full_preview_screen_at_80x24(
    snap_compare: Any, snap_app: AssistantApp
) -> None:
    run_before = waiting_after(long_write(), "f", "end")
    assert snap_compare(snap_app, terminal_size=SMALL, run_before=run_before)


def test_long_csv_write_at_120x36(snap_compare: Any, snap_app: AssistantApp) -> None:
    assert snap_compare(snap_app, terminal_size=SIZE, run_before=waiting_after(long_write()))


def test_private_address_names_what_approving_unlocks(
    snap_compare: Any, snap_app: AssistantApp
) -> None:
    command = '/http POST http://127.0.0.1:8080/api/reset {"all": true}'
    assert snap_compare(snap_app, terminal_size=SMALL, run_before=waiting_after(command))
