"""Does a tool result report an error, and does an answer tell the user about a problem?

`tool_error(result)` reads what a tool returned (a `tool` message's content) and gives the short
evidence that it failed, or None. The rules, first that applies:
- a JSON object is judged by its keys alone (its text may describe failures it is reporting on):
  an `error` / `errors` / `exception` key with a value (not null, false or empty); `success` or `ok`
  false; a `status` of "error" / "failed" / "failure"; a `status`, `status_code`, `statusCode` or
  `code` that is an HTTP error (400 to 599);
- other text, in its opening (`OPENING_CHARS`: an error announces itself first, and a long result
  that quotes the word further down is data): it starts with "error", "exception" or "fatal"; an
  "Error:" / "ValueError:" / "TimeoutException:" label; a Python traceback; "failed to ...", "request
  failed", "timed out"; an HTTP status 4xx/5xx ("HTTP 404", "status: 500", "503 Service Unavailable").
"No errors found" and "3 failed payments this month" are not errors.

`mentions(text, words)`: the first of `words` in `text` (whole words, any case), or None: how the
`tool_call` flagger tells whether an answer told the user about a failed tool.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

OPENING_CHARS = 300
ERROR_KEYS = ("error", "errors", "exception")
STATUS_KEYS = ("status", "status_code", "statusCode", "code")
FAILED_STATUSES = frozenset({"error", "failed", "failure"})
_HTTP_REASONS = ("Bad Request|Unauthorized|Payment Required|Forbidden|Not Found|Method Not Allowed|Conflict|Gone|"
                 "Unprocessable (?:Entity|Content)|Too Many Requests|Internal Server Error|Not Implemented|Bad Gateway|"
                 "Service Unavailable|Gateway Timeout")  # fmt: skip
_TEXT_ERROR = re.compile(
    "|".join([
        r"^\W*(?:error|exception|fatal)\b",
        r"\b\w*(?:error|exception)\s*:",
        r"\bTraceback \(most recent call last\)",
        r"\bfailed to\b",
        r"\b(?:request|call|connection|operation|lookup|query|command)\s+(?:has\s+)?failed\b",
        r"\btimed out\b",
        r"\b(?:HTTP(?:/\d(?:\.\d)?)?|status(?:\s+code)?)\s*:?\s*[45]\d\d\b",
        rf"\b[45]\d\d\s+(?:{_HTTP_REASONS})\b",
    ]),
    re.IGNORECASE,
)  # fmt: skip


def tool_error(result: str) -> str | None:
    """Evidence (a short quote) that this tool result reports an error, or None (rules: module docstring)."""
    text = result.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            value = None
        if isinstance(value, dict):
            return _json_error(value)
    opening = text[:OPENING_CHARS]
    match = _TEXT_ERROR.search(opening)
    return _quote(opening, match.start()) if match else None


def _json_error(value: dict) -> str | None:
    for key in ERROR_KEYS:
        if value.get(key) not in (None, False, "", [], {}):
            return f'"{key}": {_short(json.dumps(value[key], ensure_ascii=False))}'
    for key in ("success", "ok"):
        if value.get(key) is False:
            return f'"{key}": false'
    for key in STATUS_KEYS:
        status = value.get(key)
        if isinstance(status, str) and status.strip().lower() in FAILED_STATUSES:
            return f'"{key}": "{status}"'
        code = int(status) if isinstance(status, str) and status.strip().isdigit() else status
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
            return f'"{key}": {code}'
    return None


def mentions(text: str, words: tuple[str, ...] | list[str]) -> str | None:
    """The first of `words` found in `text` as a whole word or phrase (any case, either apostrophe)."""
    pattern = _words_pattern(tuple(words))
    match = pattern.search(text.replace("\u2019", "'")) if pattern else None
    return match.group(0) if match else None


@lru_cache(maxsize=8)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE)


def _quote(text: str, start: int, limit: int = 80) -> str:
    return _short(" ".join(text[start:].split()), limit)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
