"""The two HTTP routes that set and clear the review app's session cookie (served by `review_server.py`).

A Streamlit page runs over a websocket and cannot send `Set-Cookie`, and a cookie set from a page
script cannot be HttpOnly. So, after a sign-in, the page's script posts the session's one-time
handoff code to `POST /flywheel/session/start`, which answers with the token in an HttpOnly,
SameSite=Strict cookie (Secure over HTTPS); signing out posts to `/flywheel/session/end`, which
deletes the session and expires the cookie. Both refuse a request from another origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from annotate.review.sessions import MAX_SESSION_HOURS, SESSION_COOKIE, end_session_by_token, exchange_handoff
from annotate.ui.store_access import open_store

START_PATH = "/flywheel/session/start"
END_PATH = "/flywheel/session/end"


async def start(request: Request) -> Response:
    if not _same_origin(request):
        return Response("refused: another origin", status_code=403)
    code = (await request.body()).decode("utf-8", "replace").strip()[:200]
    token = await run_in_threadpool(_exchange, code) if code else None
    if token is None:
        return Response("refused: unknown, used or expired handoff code", status_code=409)
    response = Response(status_code=204)
    response.set_cookie(SESSION_COOKIE, token, max_age=MAX_SESSION_HOURS * 3600, path="/", httponly=True,
                        samesite="strict", secure=_https(request))  # fmt: skip
    return response


async def end(request: Request) -> Response:
    if not _same_origin(request):
        return Response("refused: another origin", status_code=403)
    await run_in_threadpool(_end, request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request))
    return response


ROUTES = [Route(START_PATH, start, methods=["POST"]), Route(END_PATH, end, methods=["POST"])]


def _exchange(code: str) -> str | None:  # the store is sqlite3: opened and used on one worker thread
    with open_store() as store:
        return exchange_handoff(store, code)


def _end(token: str) -> None:
    with open_store() as store:
        end_session_by_token(store, token)


def _same_origin(request: Request) -> bool:
    """A browser's POST carries Origin: it must name this server (its Host header)."""
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
