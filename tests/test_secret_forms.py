"""Every spelling of a secret value is found, marked (never turned into a handle) and held back
from a stream until it is known; ordinary text is left alone."""

from __future__ import annotations

import base64
import html
import json
import random
import string
from urllib.parse import quote, quote_plus

import pytest

from assistant.secrets import Redactor
from tools.secret_match import SecretMatcher, base64_cores

CANARY = "sk-Canary_7f3a9c1e/5b2d+4a6f=8e0c"
"""Mixed case, '/', '+', '=', '_', '-': every encoding spells it differently."""
MARK = "[raw value of secret SHOP]"
CUT = "[part of the raw value of secret SHOP]"


def b64_in_run(value: str, prefix: bytes, suffix: bytes, urlsafe: bool = False) -> str:
    data = prefix + value.encode() + suffix
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return enc(data).decode()


def spellings(v: str) -> dict[str, str]:
    data = v.encode()
    out = {
        "raw": v,
        "upper": v.upper(),
        "lower": v.lower(),
        "swapcase": v.swapcase(),
        "percent": quote(v, safe=""),
        "percent-path": quote(v),
        "percent-plus": quote_plus(v),
        "percent-every-byte": "".join(f"%{b:02X}" for b in data),
        "percent-every-byte-lower": "".join(f"%{b:02x}" for b in data),
        "percent-twice": quote(quote(v, safe=""), safe=""),
        "json": json.dumps(v)[1:-1],
        "json-slashes": json.dumps(v).replace("/", "\\/")[1:-1],
        "json-unicode-escapes": "".join(f"\\u{ord(c):04x}" for c in v),
        "backslash-x": "".join(f"\\x{b:02x}" for b in data),
        "html-escape": html.escape(v),
        "html-decimal": "".join(f"&#{ord(c)};" for c in v),
        "html-hex": "".join(f"&#x{ord(c):X};" for c in v),
        "html-named": v.replace("/", "&sol;").replace("+", "&plus;").replace("=", "&equals;"),
        "spaces-between-every-char": " ".join(v),
        "split-every-4": " ".join(v[i : i + 4] for i in range(0, len(v), 4)),
        "newlines": "\n".join(v[i : i + 5] for i in range(0, len(v), 5)),
        "json-escaped-newlines": "\\n".join(v[i : i + 5] for i in range(0, len(v), 5)),
        "hex": data.hex(),
        "HEX": data.hex().upper(),
        "hex-colons": ":".join(f"{b:02x}" for b in data),
        "hex-spaced": " ".join(f"{b:02X}" for b in data),
    }
    for k, (prefix, suffix) in enumerate([(b"", b""), (b"x", b"yz"), (b"ab", b"c")]):
        out[f"base64-{k}"] = b64_in_run(v, prefix, suffix)
        out[f"base64url-{k}"] = b64_in_run(v, prefix, suffix, urlsafe=True)
        out[f"base64-{k}-in-longer-run"] = b64_in_run(v, b"Bearer: " + prefix, suffix + b"!" * 9)
    mime = base64.encodebytes(b"user:" + data + b"\n").decode()  # wrapped at 76 with newlines
    out["base64-mime-wrapped"] = mime
    out["base64-percent-encoded"] = quote(b64_in_run(v, b"", b""), safe="")
    return out


SPELLINGS = spellings(CANARY)


@pytest.mark.parametrize("form", list(SPELLINGS))
def test_every_spelling_is_found_and_marked(form: str) -> None:
    matcher = SecretMatcher([("SHOP", CANARY)])
    text = f"before «{SPELLINGS[form]}» after"
    assert matcher.names_in(text) == ["SHOP"], form
    clean = matcher.sub(text)
    assert MARK in clean and clean.startswith("before «") and clean.endswith("» after")
    for other in SPELLINGS.values():
        assert other not in clean


@pytest.mark.parametrize("seed", range(20))
def test_random_surroundings_never_let_a_spelling_through(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "+/=%&#;\\ \n-_"
    matcher = SecretMatcher([("SHOP", CANARY)])
    for form, spelled in SPELLINGS.items():
        before = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        after = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        clean = matcher.sub(before + " " + spelled + " " + after)
        assert spelled not in clean, form
        assert not any(core in clean for core in base64_cores(CANARY.encode())), form


def test_ordinary_text_is_left_alone_and_handles_stay_handles() -> None:
    matcher = SecretMatcher([("SHOP", CANARY)])
    text = (
        "GET /orders?since=2026-01-01 Authorization: Bearer {{secret:SHOP}}\n"
        + base64.b64encode(bytes(range(256)) * 40).decode()
        + "\nsk-Canary_7f3a9c1e (a prefix in the middle of a text is not the value)"
    )
    assert matcher.sub(text) == text
    assert matcher.names_in(text) == []


def test_a_value_cut_at_the_end_of_a_text_is_marked_as_part_of_the_value() -> None:
    """A body cut at its size limit, an output cut at its cap: the value's start still goes."""
    matcher = SecretMatcher([("SHOP", CANARY)])
    for keep in (8, 12, len(CANARY) - 1):
        assert matcher.sub("token: " + CANARY[:keep]) == "token: " + CUT
        b64 = base64.b64encode(CANARY.encode()).decode()
        assert matcher.sub("x " + b64[: keep + 4]) == "x " + CUT
    assert matcher.sub("token: " + CANARY[:5]) == "token: " + CANARY[:5]  # too little to say


def test_bytes_are_scrubbed_and_other_bytes_kept() -> None:
    matcher = SecretMatcher([("SHOP", CANARY)])
    data = b"\xff\xfe binary " + CANARY.encode() + b" \x00\x81 " + CANARY.encode().hex().encode()
    out = matcher.sub_bytes(data)
    assert out == b"\xff\xfe binary " + MARK.encode() + b" \x00\x81 " + MARK.encode()


def test_several_secrets_and_short_values() -> None:
    matcher = SecretMatcher([("A", "alpha-secret-1"), ("B", "beta-secret-22"), ("TINY", "abc")])
    assert matcher.names_in("x alpha-secret-1 y BETA-SECRET-22 abc") == ["A", "B"]
    assert "TINY" not in matcher.names


def test_the_redactor_marks_raw_values_and_finds_them_for_the_gate() -> None:
    red = Redactor(lambda: [("SHOP", CANARY)])
    call = {
        "url": "https://x.test/",
        "headers": {"X-A": base64.b64encode(CANARY.encode()).decode()},
    }
    assert red.raw_secret(call) == ("headers/X-A", "SHOP", "base64")
    assert red.raw_secret({"url": "https://x.test/?k={{secret:SHOP}}"}) is None
    assert red.redact({CANARY.upper(): [quote(CANARY)]}) == {MARK: [MARK]}


@pytest.mark.parametrize("form", ["raw", "upper", "base64-1", "hex", "percent", "html-decimal"])
def test_a_value_split_across_stream_deltas_never_shows(form: str) -> None:
    """The rolling window: whatever the cut points, the shown text never holds the value and,
    put together, equals the finished text redacted in one piece."""
    red = Redactor(lambda: [("SHOP", CANARY)])
    text = f"Here it is: {SPELLINGS[form]} and that is all."
    rng = random.Random(form)
    for _ in range(30):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randrange(1, 12)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        window = red.window()
        shown = [window.feed(p) for p in pieces] + [window.flush()]
        for i in range(len(shown)):
            assert SPELLINGS[form] not in "".join(shown[: i + 1])
        assert "".join(shown) == red.redact_text(text)


def test_the_window_shows_ordinary_text_at_once() -> None:
    red = Redactor(lambda: [("SHOP", CANARY)])
    window = red.window()
    assert window.feed("Hello there, ") == "Hello there, "
    assert window.feed("the total is 42.") == "the total is 42."
    # the start of the value waits for the next piece, then goes as a marker
    assert window.feed("key: sk-Can") == "key: "
    assert window.feed("ary_7f3a9c1e/5b2d+4a6f=8e0c.") == MARK + "."
    assert window.flush() == ""


def test_the_session_log_holds_a_split_value_back_from_every_listener() -> None:
    """What the console, the JSON printer and the app's chat all receive: the log's events."""
    from assistant.agent import events as ev
    from assistant.agent.event_log import EventLog

    red = Redactor(lambda: [("SHOP", CANARY)])
    seen: list[ev.Event] = []
    log = EventLog(None, "s", redact=red.redact, listeners=[seen.append], delta_window=red.window)
    text = f"The key is {CANARY}, now you know."
    for i in range(0, len(text), 5):
        log.emit(ev.AssistantDelta(text[i : i + 5]))
        shown = "".join(e.text for e in seen if isinstance(e, ev.AssistantDelta))
        assert CANARY[:5] not in shown or MARK in shown
    log.emit(ev.AssistantMessage(text))
    deltas = [e.text for e in seen if isinstance(e, ev.AssistantDelta)]
    assert "".join(deltas) == f"The key is {MARK}, now you know."
    assert isinstance(seen[-1], ev.AssistantMessage) and seen[-1].text == "".join(deltas)
