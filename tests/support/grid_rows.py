"""A manual csv_query with a 271-row result (its first page stored), shared by the grid tests
and their snapshots: markup, accents and numbers in the cells."""

from __future__ import annotations

from assistant.agent import events as ev

SQL = "SELECT id, customer, total, status FROM 'orders.csv' WHERE status = 'paid'"
COLUMNS = ["id", "customer", "total", "status"]
NAMES = ["ACME GmbH", "Rossi S.r.l.", "Nordwind AG", "Lyon SARL", "[b]markup[/b]", "Ölwerk"]
ROWS = [[10231 + i, NAMES[i % 6], f"{(i * 731) % 997}.{i % 10}0", "paid"] for i in range(60)]


def query_events() -> tuple[ev.ActionProposed, ev.ActionResult]:
    proposed = ev.ActionProposed(
        "q-1", None, "csv_query", {"sql": SQL, "limit": 50, "bad_rows": "error"}, "read",
        "query orders.csv", {"kind": "text", "text": SQL}, ["path:orders.csv"], "fp",
    )  # fmt: skip
    result = ev.ActionResult(
        "q-1",
        True,
        "rows 1-50 of 271: ...",
        display="271 rows · 4 columns",
        elapsed=0.12,
        data={"columns": COLUMNS, "types": ["BIGINT", "VARCHAR", "DECIMAL", "VARCHAR"],
              "rows": ROWS[:51], "total": 271, "offset": 0, "notes": []},
    )  # fmt: skip
    return proposed, result
