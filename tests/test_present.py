"""The presentation layer: one notation for cost, times, sizes, counts and who decided, the same
in the CLI, the app and the exports (``assistant.present``, reusing ``tools.words``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from assistant import present
from assistant.journal import SessionInfo
from tools import words

NOW = datetime(2025, 3, 14, 16, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ts", "shown"),
    [
        ("2025-03-14T15:59:59.000Z", "today 15:59"),
        ("2025-03-14T00:00:00.000Z", "today 00:00"),
        ("2025-03-13T23:59:00.000Z", "yest. 23:59"),
        ("2025-03-12T23:59:00.000Z", "Mar 12 23:59"),
        ("2024-12-31T23:59:00.000Z", "2024-12-31"),
        ("not a time", "?"),
    ],
)
def test_when_is_relative_to_now(ts: str, shown: str) -> None:
    assert present.when(ts, NOW) == shown


def test_when_follows_the_time_zone_of_now() -> None:
    berlin = NOW.astimezone(timezone(timedelta(hours=1)))  # 17:00 there
    assert present.when("2025-03-14T23:30:00.000Z", berlin) == "Mar 15 00:30"
    assert present.when("2025-03-13T23:30:00.000Z", berlin) == "today 00:30"


def test_journal_times_parse_once_and_bad_ones_read_as_unknown() -> None:
    assert present.parse_ts("yesterday") is None and present.parse_ts(None) is None
    assert present.parse_ts("2025-03-14T09:15:02") == datetime(2025, 3, 14, 9, 15, 2, tzinfo=UTC)
    assert present.parse_ts("2025-03-14T09:15:02.123Z") == datetime(
        2025, 3, 14, 9, 15, 2, 123000, tzinfo=UTC
    )
    plus_one = timezone(timedelta(hours=1))
    assert present.stamp("2025-03-14T09:15:02.123Z", zone=plus_one) == "2025-03-14 10:15:02"
    assert present.stamp("garbled") == "?"
    assert present.utc("2025-03-14T09:15:02.123Z") == "2025-03-14 09:15:02 UTC"
    assert present.utc("garbled") == "garbled"  # a record keeps what it could not read


@pytest.mark.parametrize(
    ("cost", "unknown", "shown"),
    [
        (None, False, "–"),
        (None, True, "unknown"),
        (0.0, False, "$0"),
        (0.0004, False, "<$0.001"),
        (0.0004, True, "<$0.001"),
        (0.0125, False, "$0.013"),
        (0.0125, True, "≥$0.013"),
        (0.25, True, "≥$0.250"),
        (1234.5, False, "$1,234.50"),
    ],
)
def test_cost_says_unknown_and_lower_bounds_honestly(
    cost: float | None, unknown: bool, shown: str
) -> None:
    info = SessionInfo(
        "a" * 32, "t", "t", None, None, "/", None, 0, 0, 0, 0, 0, cost, 0, cost_unknown=unknown
    )
    assert present.session_cost(info) == shown


def test_a_call_without_a_price_is_unknown_not_free() -> None:
    assert present.cost(None) == "unknown" and present.cost(0.0) == "$0"
    assert present.tokens(850) == "850 tok" and present.tokens(3140) == "3.1k tok"
    assert present.elapsed(0.4) == "0.40 s"


@pytest.mark.parametrize(
    ("n", "word", "many", "shown"),
    [
        (0, "row", None, "0 rows"),
        (1, "row", None, "1 row"),
        (2, "row", None, "2 rows"),
        (1234, "column", None, "1,234 columns"),
        (1, "match", "matches", "1 match"),
        (3, "match", "matches", "3 matches"),
    ],
)
def test_counts_agree_with_their_number(n: int, word: str, many: str | None, shown: str) -> None:
    assert words.plural(n, word, many) == shown
    assert present.plural is words.plural  # one home, reused


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (None, "-"),
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 KB"),
        (48_200, "48.2 KB"),
        (999_949, "999.9 KB"),
        (999_950, "1.0 MB"),
        (3_100_000, "3.1 MB"),
        (2_000_000_000, "2.0 GB"),
    ],
)
def test_sizes_round_in_powers_of_a_thousand(n: int | None, shown: str) -> None:
    assert words.size(n) == shown
    assert present.size is words.size


@pytest.mark.parametrize(
    ("by", "reason", "person", "shown"),
    [
        ("human", "", "you", "you"),
        ("human", "", "the person", "the person"),
        ("rule:g2", "csv_write create in data", "you", 'rule "csv_write create in data"'),
        ("rule:g2", "", "you", "rule g2"),
        ("policy:read", "", "you", "read policy"),
        ("policy:deny", "", "you", "deny rule"),
        ("--approve all", "", "you", "--approve all"),
        ("", "", "you", "unknown"),
    ],
)
def test_who_decided_reads_the_same_everywhere(
    by: str, reason: str, person: str, shown: str
) -> None:
    assert present.decider(by, person=person, rule=reason) == shown
