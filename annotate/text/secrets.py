"""Credentials kept out of what Flywheel shows: URLs without their user-info, text without keys.

`redact_url(text)` drops the `user:password@` part of every URL in `text`. `credentials(url, *keys)`
lists each form a configured credential can take on the wire or in a server's reply (as given,
percent-decoded and -encoded, the URL's user-info, the Basic header value it becomes).
`redact(text, secrets)` masks all of those, the value after an HTTP auth scheme (`Token`,
`Bearer`, `Basic`) and URL user-info: apply it where a server's words or an exception's text
become a message or a log record.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

MASK = "***"
_SCHEME = r"\b[a-z][a-z0-9+.-]*://"
_USERINFO = re.compile(rf"({_SCHEME})[^/?#\s]*@", re.IGNORECASE)
_AUTH_VALUE = re.compile(r"\b(token|bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{16,}", re.IGNORECASE)
_SHORTEST = 4  # a shorter "secret" (a test key such as "k") would mask letters all over a message


def redact_url(text: str) -> str:
    """`text` with the user-info (`user:password@`) of every URL in it removed."""
    return _USERINFO.sub(r"\1", text)


def userinfo(url: str) -> tuple[str, str] | None:
    """The URL's (user, password), percent-decoded, or None when it carries no user-info."""
    match = re.match(rf"\s*{_SCHEME}([^/?#\s]*)@", url, re.IGNORECASE)
    if not match:
        return None
    user, _, password = match.group(1).partition(":")
    return unquote(user), unquote(password)


def credentials(url: str, *keys: str) -> list[str]:
    """Every form of the keys and of the URL's user-info worth masking, longest first."""
    found = [key for key in keys if key]
    if info := userinfo(url):
        pair = ":".join(info)
        found += [info[1] or info[0], pair, base64.b64encode(pair.encode()).decode()]
    forms = {form for secret in found for form in (secret, unquote(secret), quote(secret, safe=""))}
    return sorted((form for form in forms if len(form) >= _SHORTEST), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each secret, any token after an auth scheme and any URL user-info masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _AUTH_VALUE.sub(rf"\1\2{MASK}", redact_url(text))
