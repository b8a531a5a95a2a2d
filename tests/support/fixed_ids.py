"""Fixed action ids and run times for snapshots: cards show both, and a shot must not depend on
a random uuid or on how fast this machine is."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest


def fixed_action_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Action ids a1b2c3000001, a1b2c3000002, … in the order the gate plans (cards show them),
    and a fixed elapsed time for each run."""
    counter = itertools.count(1)

    def uuid4() -> SimpleNamespace:
        return SimpleNamespace(hex=f"a1b2c3{next(counter):06x}" + "0" * 20)

    monkeypatch.setattr("assistant.agent.gate.uuid", SimpleNamespace(uuid4=uuid4))
    # and every tool takes 0.25 s by the gate's clock, so a card's elapsed time is fixed too
    ticks = itertools.count()
    monkeypatch.setattr(
        "assistant.agent.gate.time", SimpleNamespace(monotonic=lambda: next(ticks) * 0.25)
    )
