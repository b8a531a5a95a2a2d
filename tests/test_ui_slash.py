"""Slash command parsing: tool commands become gate calls with exact arguments; mistakes say how
to write the command."""

from __future__ import annotations

import pytest

from assistant.ui.slash import AppCommand, SlashError, ToolCommand, help_text, is_command, parse


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "/http GET https://a.example/x?q=1",
            ToolCommand("http_request", {"method": "GET", "url": "https://a.example/x?q=1"}),
        ),
        (
            "/http https://a.example",
            ToolCommand("http_request", {"method": "GET", "url": "https://a.example"}),
        ),
        (
            '/http post https://a.example/o {"id": 1}',
            ToolCommand(
                "http_request", {"method": "POST", "url": "https://a.example/o", "json": {"id": 1}}
            ),
        ),
        (
            "/http PUT https://a.example/o plain text body",
            ToolCommand(
                "http_request",
                {"method": "PUT", "url": "https://a.example/o", "body": "plain text body"},
            ),
        ),
        (
            "/csv query select * from 'a.csv'",
            ToolCommand("csv_query", {"sql": "select * from 'a.csv'"}),
        ),
        ("/csv read data/a.csv", ToolCommand("csv_read", {"path": "data/a.csv"})),
        (
            '/csv write {"path": "o.csv", "mode": "create", "rows": [["a"]]}',
            ToolCommand("csv_write", {"path": "o.csv", "mode": "create", "rows": [["a"]]}),
        ),
        ("/sh ls -l | sort > out.txt", ToolCommand("shell", {"command": "ls -l | sort > out.txt"})),
        (
            '/tool restore {"source": "x", "files": []}',
            ToolCommand("restore", {"source": "x", "files": []}),
        ),
        ("/grants revoke g1", AppCommand("grants", ["revoke", "g1"])),
        ("  /MODEL ollama_chat/llama3.1  ", AppCommand("model", ["ollama_chat/llama3.1"])),
        ("/undo 0123abcd", AppCommand("undo", ["0123abcd"])),
        ("/help", AppCommand("help", [])),
    ],
)
def test_parse(line: str, expected: object) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/http", "usage: /http"),
        ("/http DELETE", "usage: /http DELETE URL"),
        ("/http GET example.com", "is not a URL"),
        ("/csv", "usage: /csv query"),
        ("/csv write [1]", "must be a JSON object"),
        ("/csv write {oops", "not valid JSON"),
        ("/sh", "usage: /sh"),
        ("/tool", "usage: /tool"),
        ("/frobnicate", "unknown command /frobnicate"),
    ],
)
def test_mistakes_say_how(line: str, message: str) -> None:
    with pytest.raises(SlashError, match=message):
        parse(line)


def test_what_counts_as_a_command() -> None:
    assert is_command("/sh ls") and is_command("/help")
    assert not is_command("//sh is a literal prompt")
    assert not is_command("/etc/hosts looks odd, why?")
    assert not is_command("hello /sh")


def test_help_lists_every_command_and_the_keys() -> None:
    # the key lines come from the app's bindings (tests/test_ui_keys.py checks them in the app)
    text = help_text(["chat: Esc stop"])
    for name in (
        "/http",
        "/csv",
        "/sh",
        "/model",
        "/keys",
        "/history",
        "/undo",
        "/grants",
        "/help",
    ):
        assert name in text
    assert "Keys:\n  chat: Esc stop" in text


def test_help_puts_each_commands_words_under_it_when_the_view_is_narrow() -> None:
    wide = help_text(columns=200).splitlines()
    (mcp,) = [line for line in wide if line.startswith("  /mcp ")]
    assert mcp.endswith("  MCP servers: each one's state and tools")
    narrow = help_text(columns=76).splitlines()
    commands = narrow[1 : narrow.index("Type // at the start to send a prompt that begins with /.")]
    assert all(len(line) <= 76 for line in commands)
    assert commands[commands.index("  /mcp") + 1] == "      MCP servers: each one's state and tools"
    assert len(commands) == 2 * (len(wide) - 2)


def test_narrow_help_breaks_key_lines_between_keys_never_inside_one() -> None:
    keys = "chat: " + " · ".join(f"Ctrl+{c} does thing {c}" for c in "ABCDEFGHIJ")
    for columns in range(30, 90):
        text = help_text([keys], columns=columns)
        rows = text[text.index("Keys:\n") + 6 : text.index("\nType //")].split("\n")
        assert len(rows) > 1 and all(len(row) <= columns for row in rows), columns
        assert rows[0].startswith("  chat: ")
        assert all(row.startswith("      Ctrl+") for row in rows[1:])
        joined = " ".join(row.strip() for row in rows)
        assert joined == keys  # every key, in order, none split
    assert help_text([keys]).endswith(
        f"  {keys}\nType // at the start to send a prompt that begins with /."
    )
