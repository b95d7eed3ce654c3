"""Shared pieces of the fuzz suite (``tests/test_fuzz_*.py``): hypothesis settings, payload strategies, tallies.

Every fuzz test states a count it must reach (``tally.require``), so a strategy change that silently shrinks a
run fails instead of passing with fewer inputs. With ``WMPF_HIL_FUZZ_STATS=<file.jsonl>`` each test appends its
tally (inputs, seconds, inputs per second, the slowest input) to that file: ``benchmarks/bench_fuzz.py`` reads it.

Examples are random locally and fixed under CI (``derandomize``): CI runs the same inputs every time, a developer's
run keeps exploring. No example database is written (``database=None``); hypothesis keeps only its caches in
``.hypothesis/``, which it git-ignores itself.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from harness.redact import redact_text

CANARY = "/data/local/tmp/canary"
# Payload pieces that would run a command if the quoting failed anywhere on the way to the device.
ATTACKS = (
    f"$(touch {CANARY})", f"`touch {CANARY}`", f"; touch {CANARY}", f"&& touch {CANARY}", f"| touch {CANARY}",
    f"'; touch {CANARY}; '", f"'\\''; touch {CANARY} #", f"\"; touch {CANARY}; \"", f"\n touch {CANARY}\n",
    f"${{IFS}}touch${{IFS}}{CANARY}", f"$(sh -c 'touch {CANARY}')", f"\\'$(touch {CANARY})\\'",
    f"<(touch {CANARY})", f">{CANARY}", f"$((1))$(touch {CANARY})", "'", '"', "\\", "$", "`", "*", "?", "~", "#",
    "!", "%s%n", "{", "}", "${HOME}", "$?", "$$", "\r\n", "\t", " ",
)


def fuzz_settings(examples: int, *, deadline_s: float) -> settings:
    """``max_examples`` examples, each bounded by ``deadline_s`` (a slower example fails the test)."""
    return settings(max_examples=examples, deadline=timedelta(seconds=deadline_s), database=None,
                    derandomize=bool(os.environ.get("CI")), print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


# -- strategies ---------------------------------------------------------------------------------------------------
def huge(base: st.SearchStrategy[str], *, at_most: int) -> st.SearchStrategy[str]:
    """A short string repeated up to ``at_most`` characters: huge inputs without hypothesis generating each byte."""
    return st.tuples(base.filter(bool), st.integers(1, at_most)).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[
        : t[1]])


def invalid_utf8() -> st.SearchStrategy[str]:
    """Bytes that are not UTF-8, as Python text decoded with ``surrogateescape`` (lone surrogates)."""
    return st.binary(min_size=1, max_size=64).map(lambda b: (b + b"\xff\xc3(").decode("utf-8", "surrogateescape"))


JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64) | st.floats(allow_nan=True) | st.text(
    max_size=40)
RANDOM_JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(
    st.text(max_size=12), inner, max_size=6), max_leaves=25)


def shell_text() -> st.SearchStrategy[str]:
    """Text salted with shell metacharacters and command substitutions aimed at the canary."""
    return st.lists(st.sampled_from(ATTACKS) | st.text(max_size=12), min_size=1, max_size=8).map("".join)


def push_like(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A push JSON whose fields are ``text``: well-formed in shape, anything inside."""
    from harness.callers.push import CALL_PAGE_PATH

    def build(room: str, caller: str, extra: str, app_type: Any, appid: str) -> str:
        path = f"{CALL_PAGE_PATH}?roomType={room}&groupId=g1&listenerId=sn&callerName={caller}&{extra}"
        return json.dumps({"path": path, "appType": app_type, "appid": appid}, ensure_ascii=False)

    return st.builds(build, st.sampled_from(["voice", "video"]) | text, text, text, JSON_SCALARS,
                     st.just("wx0123456789abcdef") | text)


def payloads(*, huge_max: int) -> st.SearchStrategy[str]:
    """Push payloads: random JSON, push-shaped JSON with hostile fields, shell metacharacters, huge and invalid
    UTF-8 strings (which the harness must refuse with a typed error)."""
    text = st.text(max_size=60) | shell_text()
    return st.one_of(
        RANDOM_JSON.map(lambda v: json.dumps(v, ensure_ascii=False)),
        push_like(text),
        shell_text(),
        st.text(max_size=200),
        huge(text, at_most=huge_max),
        invalid_utf8(),
        st.tuples(shell_text(), invalid_utf8()).map("".join),
    )


# -- tallies ------------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """What one fuzz test fed in: inputs, outcomes by kind, time, and its slowest input."""

    name: str
    inputs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    slowest_s: float = 0.0
    slowest: str = ""
    started: float = field(default_factory=time.monotonic)

    def count(self, outcome: str, n: int = 1) -> None:
        self.inputs += n
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n

    def timed(self, seconds: float, what: object) -> None:
        if seconds > self.slowest_s:
            self.slowest_s, self.slowest = seconds, describe(what)

    def require(self, minimum: int) -> None:
        elapsed = time.monotonic() - self.started
        stats = {"test": self.name, "inputs": self.inputs, "seconds": round(elapsed, 2),
                 "per_second": round(self.inputs / elapsed, 1) if elapsed else None, "outcomes": self.outcomes,
                 "slowest_ms": round(self.slowest_s * 1000, 1), "slowest_input": self.slowest}
        target = os.environ.get("WMPF_HIL_FUZZ_STATS")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps(stats, ensure_ascii=False) + "\n")
        assert self.inputs >= minimum, f"{self.name}: only {self.inputs} inputs of the {minimum} required: {stats}"


def describe(value: object, limit: int = 120) -> str:
    """A short printable description of an input (its length, and its start with escapes, secrets redacted)."""
    text = value if isinstance(value, (str, bytes)) else repr(value)
    shown = redact_text(ascii(text[:limit]))
    return f"{len(text)} {'bytes' if isinstance(text, bytes) else 'chars'}: {shown}"
