"""Secrets never reach logs: every logger's records are redacted before any handler sees them."""

from __future__ import annotations

import logging

import pytest

from harness.redact import install_log_redaction, redact_text

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("text", [
    f'{{"pushToken": "{TOKEN}", "sn": "X"}}',
    f"POST /callWMPF?pushToken={TOKEN}&sn=X",
    f"am broadcast -a A --es pushToken {TOKEN}",
    f"push_token: {TOKEN}",
])
def test_redact_text_hides_token_in_every_shape(text: str) -> None:
    clean = redact_text(text)
    assert TOKEN not in clean
    assert "***" in clean


@pytest.mark.parametrize("logger_name", ["harness", "harness.call.driver", "harness.capture.service", "adbutils",
                                         "uiautomator2", "some.library"])
def test_log_records_of_any_logger_are_redacted(logger_name: str, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent: one factory, not a chain
    with caplog.at_level(logging.DEBUG):
        logging.getLogger(logger_name).debug("placing call %s", {"pushToken": TOKEN, "sn": "WMPF0001"})
        logging.getLogger(logger_name).info("url ?pushToken=%s&x=1", TOKEN)
    assert len(caplog.records) == 2
    assert TOKEN not in caplog.text
    assert "WMPF0001" in caplog.text  # only the secret goes


def test_install_is_idempotent() -> None:
    install_log_redaction()
    factory = logging.getLogRecordFactory()
    install_log_redaction()
    assert logging.getLogRecordFactory() is factory
