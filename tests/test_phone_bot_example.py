"""docs/examples/phone_bot.py speaks the contract of docs/phone-bot-api.md: the harness's phone-bot caller places
a call through it, reads the call's state and cancels it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.callers.base import CallRequest
from harness.callers.bot import PhoneBotCaller
from harness.callers.phone import Phone, PhoneApiError

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "phone_bot.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bot() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), "--port", str(port)], stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/devices", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_the_example_bot_serves_the_contract(bot: str) -> None:
    caller = PhoneBotCaller(Phone(bot), "DEVICE-SN")
    placement = caller.place(CallRequest(sn="DEVICE-SN", room_type="voice", caller_name="lab"))
    assert placement.room_id and placement.room_id.startswith("wxf830863afde621ebWmpfVoip")
    assert placement.host_before_ns <= placement.host_after_ns
    assert caller.state(placement.room_id)["state"] == "ringing"
    caller.cancel(placement.room_id)
    assert caller.state(placement.room_id) == {"roomId": placement.room_id, "sn": "DEVICE-SN", "roomType": "voice",
                                               "state": "ended", "endReason": "cancelled"}
    with pytest.raises(PhoneApiError, match="HTTP 409"):
        caller.hang_up(placement.room_id)
    with pytest.raises(PhoneApiError, match="errCode 14"):
        PhoneBotCaller(Phone(bot), "OTHER").injector.phone.call_wmpf(
            {"roomType": "voice", "sn": "OTHER", "modelId": "m", "pushToken": "t", "nickName": "n"})
