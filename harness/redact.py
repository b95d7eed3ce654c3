"""Secrets never reach a report or a log: one redaction helper used by every writer and logger.

A pushToken (and its kin: voipToken, access_token, sessionKey, ...) lets anyone push to a device, so a
results file or a CI log that leaks one is a security bug. Structured data is redacted by key, free text by
the ``key=value`` / ``"key": "value"`` shapes those secrets take in JSON, query strings and shell commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"

SECRET_KEYS: frozenset[str] = frozenset(
    k.lower() for k in ("pushToken", "push_token", "voipToken", "voip_token", "access_token", "accessToken",
                        "sessionKey", "session_key", "serverToken", "ServerToken", "SessionKey", "invokeToken",
                        "invoke_token", "secret", "appsecret", "signature"))


def _key_alternation(keys: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(k) for k in keys), key=len, reverse=True))


def _text_pattern(keys: Iterable[str]) -> re.Pattern[str]:
    alt = _key_alternation(keys)
    # "key": "value" | 'key': 'value' | key=value (query, shell, log) | key: value | --es key value (am)
    return re.compile(
        rf"""(?P<k>(?:--e[a-z]*\s+["']?(?:{alt})["']?\s+)|(?:["']?(?:{alt})["']?\s*[:=]\s*))(?:(?P<q>["'])(?P<qv>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
        rf"""|(?P<v>[^\s&,;"'}}\]\)]+))""",
        re.IGNORECASE)


_PATTERN = _text_pattern(SECRET_KEYS)


def _replace(match: re.Match[str]) -> str:
    quote = match.group("q")
    if quote:
        return f"{match.group('k')}{quote}{REDACTED}{quote}"
    return f"{match.group('k')}{REDACTED}"


def redact_text(text: str) -> str:
    """``text`` with every secret value replaced by ``***`` (keys and structure kept for debugging)."""
    if not text:
        return text
    return _PATTERN.sub(_replace, text)


def redact(value: Any) -> Any:
    """A deep copy of ``value`` (dicts, lists, strings) with secrets redacted by key and inside strings."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and k.lower() in SECRET_KEYS and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the record's message by its redacted text (args folded in), so no handler ever sees a secret."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error path
        return record
    clean = redact_text(message)
    if clean != message:
        record.msg, record.args = clean, None
    return record


def install_log_redaction() -> None:
    """Redact every log record of the process as it is created, whatever logger or handler it goes to.

    A filter on the ``harness`` logger would miss records of its children (``harness.call.driver``...), of libraries
    (adbutils, uiautomator2) and handlers added later (pytest's caplog and report capture): filters do not
    apply to propagated records. The record factory runs once per record, before any handler. Idempotent.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "wmpf_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    factory.wmpf_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
