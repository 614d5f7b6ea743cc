"""The Label Studio client: the only module that imports `label_studio_sdk`.

`LabelStudioClient.from_env()` connects with `LABEL_STUDIO_URL` and `LABEL_STUDIO_API_KEY`
(a legacy token or a personal access token; the SDK refreshes a PAT's access token itself).
The key is held by the SDK only: it is never printed, logged or written to the store. User-info
in the URL (`user:password@`) goes as Basic auth, which replaces the key's `Token` header (as
httpx always did: useful behind a proxy, refused by Label Studio itself); it is kept out of every URL the client shows,
stores or hands to httpx (which logs request URLs). Every server failure becomes a
`LabelStudioError` that says what to do, its text (server replies included) passed through
`redact` with every form of the key. Tested against server 1.23 with SDK 2.1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.label_interface import LabelInterface

from annotate.errors import LabelStudioError, LabelStudioProjectGone
from annotate.text.secrets import credentials, redact, redact_url, userinfo

DEFAULT_TIMEOUT_SECONDS = 120.0
PAGE_SIZE = 1000
CURSOR_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the only updated_at filter format the server accepts


class LabelStudioClient:
    """What Flywheel asks of a Label Studio server, with its failures explained."""

    def __init__(self, url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 import_timeout: float | None = None):  # fmt: skip
        """`timeout` bounds every request; `import_timeout`, when given, bounds task imports instead
        (the one slow, large request)."""
        url = url.strip().rstrip("/")
        self.url = redact_url(url)  # the address shown and stored: never the user-info
        self.timeout = timeout
        self.import_timeout = import_timeout or timeout
        self._secrets = credentials(url, api_key)
        try:
            valid = bool(httpx.URL(self.url).host) and "@" not in self.url  # an "@" left: a key written unencoded
        except httpx.InvalidURL:  # its text can quote a badly written key: left out
            valid = False
        if not valid:
            raise LabelStudioError("LABEL_STUDIO_URL is not a valid URL: write it as http://host:port, with any "
                                   "user:password@ in it percent-encoded (/ as %2F, @ as %40, : as %3A)")  # fmt: skip
        # The user-info goes as Basic auth (what httpx made of it), never in a URL httpx logs.
        http = httpx.Client(timeout=timeout, follow_redirects=True, auth=userinfo(url))
        self._sdk = LabelStudio(base_url=self.url, api_key=api_key, timeout=timeout, httpx_client=http)

    @classmethod
    def from_env(cls, *, timeout: float | None = None) -> LabelStudioClient:
        url = os.environ.get("LABEL_STUDIO_URL", "").strip()
        key = os.environ.get("LABEL_STUDIO_API_KEY", "").strip()
        missing = [name for name, value in (("LABEL_STUDIO_URL", url), ("LABEL_STUDIO_API_KEY", key)) if not value]
        if missing:
            raise LabelStudioError(
                f"set {' and '.join(missing)}: the server's address (e.g. http://localhost:8080) and an API key "
                "(Label Studio: Account & Settings > Personal Access Token, or a legacy token)"
            )
        return cls(url, key, timeout=timeout or float(os.environ.get("FLYWHEEL_LS_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)))

    def whoami(self) -> str:
        """The email of the account the key belongs to (checks address and key)."""
        with self._explained("checking the API key"):
            return self._sdk.users.whoami().email

    def users(self) -> dict[int, str]:
        """Every user of the organization: id -> email."""
        with self._explained("listing users"):
            users = self._sdk.users.list()
        if not isinstance(users, list):
            raise self._not_the_api("listing users", "no list of users")
        return {user.id: user.email for user in users}

    def create_project(self, title: str, label_config: str, *, description: str, maximum_annotations: int) -> int:
        with self._explained(f"creating project {title!r}"):
            project = self._sdk.projects.create(
                title=title, label_config=label_config, description=description,
                maximum_annotations=maximum_annotations, show_skip_button=True, show_collab_predictions=True,
            )  # fmt: skip
        if not isinstance(project.id, int):
            raise self._not_the_api(f"creating project {title!r}", "no project id")
        return project.id

    def project(self, project_id: int) -> dict[str, Any]:
        """The project's title, labeling config and overlap; `LabelStudioProjectGone` when deleted."""
        with self._explained(f"reading project {project_id}", project_id=project_id):
            project = self._sdk.projects.get(id=project_id)
        if not isinstance(project.label_config, str):
            raise self._not_the_api(f"reading project {project_id}", "no labeling config")
        return {"title": project.title, "label_config": project.label_config, "maximum_annotations": project.maximum_annotations}

    def update_project(self, project_id: int, **fields: Any) -> None:
        with self._explained(f"updating project {project_id}", project_id=project_id):
            self._sdk.projects.update(id=project_id, **fields)

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        """Import tasks in one request (never retried); their new ids, in order."""
        options = {"max_retries": 0, "timeout_in_seconds": self.import_timeout}  # a retry could import twice
        with self._explained(f"importing {len(tasks)} tasks into project {project_id}", project_id=project_id,
                             timeout=self.import_timeout):  # fmt: skip
            reply = self._sdk.projects.import_tasks(project_id, request=tasks, return_task_ids=True, request_options=options)
        ids = list(reply.task_ids or [])
        if len(ids) != len(tasks):
            raise LabelStudioError(f"project {project_id}: imported {len(tasks)} tasks but the server returned {len(ids)} ids")
        return ids

    def tasks(self, project_id: int, *, updated_after: str | None = None, fields: str = "all") -> Iterator[dict]:
        """The project's tasks as plain dicts, by id; only those updated after the cursor (a
        `CURSOR_FORMAT` UTC time) when one is given. `updated_at` is normalised to that format.

        By id, not by update time: pages are numbered, and a task updated while the list is being
        read would move from a page already read to the end, shifting an unread one onto it."""
        query = _task_query(updated_after)
        with self._explained(f"listing tasks of project {project_id}", project_id=project_id):
            pager = self._sdk.tasks.list(project=project_id, fields=fields, query=json.dumps(query), page_size=PAGE_SIZE)
            for task in pager:
                row = task.model_dump(mode="json") if hasattr(task, "model_dump") else dict(task)
                row["updated_at"] = cursor_text(row.get("updated_at"))
                yield row

    def updated_task_ids(self, project_id: int, *, updated_after: str | None = None) -> list[tuple[int, str | None]]:
        """(id, updated_at) of the tasks `tasks` would list, in the same order and pages, but only
        those two fields, asked of the server (`include`) and read as plain JSON: the SDK's task
        models cost more to build than the server takes to answer."""
        params = {"project": project_id, "fields": "task_only", "include": "id,updated_at", "page_size": PAGE_SIZE,
                  "query": json.dumps(_task_query(updated_after))}  # fmt: skip
        found: list[tuple[int, str | None]] = []
        http = self._sdk._client_wrapper.httpx_client  # the SDK's own client: its base URL, auth and retries
        with self._explained(f"listing tasks of project {project_id}", project_id=project_id):
            for page in range(1, 1_000_000):
                reply = http.request("api/tasks/", method="GET", params={**params, "page": page})
                if not 200 <= reply.status_code < 300:
                    raise ApiError(headers=dict(reply.headers), status_code=reply.status_code, body=_body(reply))
                body = reply.json()
                tasks = body.get("tasks") if isinstance(body, dict) else None
                if not isinstance(tasks, list) or not all(isinstance(task, dict) and "id" in task for task in tasks):
                    raise self._not_the_api(f"listing tasks of project {project_id}", "no list of tasks")
                found += [(task["id"], cursor_text(task.get("updated_at"))) for task in tasks]
                if not tasks or len(found) >= int(body.get("total") or 0):
                    break
        return found

    def exported_tasks(self, project_id: int, task_ids: list[int]) -> list[dict]:
        """The tasks `task_ids` as plain dicts, in id order, with every annotation (skipped ones too),
        through the server's JSON export in one request: far cheaper per task than the task list
        with annotations. `updated_at` is normalised as in `tasks`; a task deleted meanwhile is absent."""
        if not task_ids:
            return []
        options = {"additional_query_parameters": {"ids[]": [str(task_id) for task_id in task_ids]},
                   "timeout_in_seconds": self.import_timeout}  # fmt: skip
        with self._explained(f"exporting {len(task_ids)} tasks of project {project_id}", project_id=project_id,
                             timeout=self.import_timeout):  # fmt: skip
            body = b"".join(self._sdk.projects.exports.download_sync(
                project_id, export_type="JSON", download_all_tasks=True, request_options=options))  # fmt: skip
            tasks = json.loads(body)
        if not isinstance(tasks, list) or not all(isinstance(task, dict) and "id" in task for task in tasks):
            raise self._not_the_api(f"exporting tasks of project {project_id}", "no list of tasks")
        for task in tasks:
            task["updated_at"] = cursor_text(task.get("updated_at"))
        return sorted(tasks, key=lambda task: task["id"])

    @contextmanager
    def _explained(self, action: str, *, project_id: int | None = None, timeout: float | None = None) -> Iterator[None]:
        """Turn transport, HTTP and parsing failures into one `LabelStudioError` that says what to do,
        with the key masked in every form (a server may echo it back)."""
        try:
            yield
        except (ApiError, httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # ValueError: a reply the SDK cannot parse
            error = self._error(exc, action, project_id, timeout)
            raise type(error)(redact(str(error), self._secrets)) from None

    def _error(self, exc: Exception, action: str, project_id: int | None, timeout: float | None) -> LabelStudioError:
        if isinstance(exc, ApiError):
            return self._api_error(exc, action, project_id)
        if isinstance(exc, httpx.TimeoutException):
            return LabelStudioError(
                f"Label Studio at {self.url} did not answer within {timeout or self.timeout:g} s while {action}; "
                "nothing is lost: run the command again (a push completes without duplicates), "
                "or allow more time with FLYWHEEL_LS_TIMEOUT=SECONDS"
            )
        if isinstance(exc, httpx.TransportError | httpx.InvalidURL):
            return LabelStudioError(
                f"cannot reach Label Studio at {self.url} while {action} ({type(exc).__name__}): is the server "
                "running and LABEL_STUDIO_URL right? Start it with `label-studio start`, then run this again"
            )
        return self._not_the_api(action, type(exc).__name__)  # its text (pydantic's quotes the reply) is left out

    def _not_the_api(self, action: str, what: str) -> LabelStudioError:
        return LabelStudioError(f"{self.url} answered something that is not Label Studio's API while {action} "
                                f"({what}): is LABEL_STUDIO_URL the address of a Label Studio server?")  # fmt: skip

    def _api_error(self, exc: ApiError, action: str, project_id: int | None) -> LabelStudioError:
        status = exc.status_code
        detail = redact(_detail(exc.body), self._secrets)[:300]  # masked before it is cut: no half key is left
        if status == 401:
            return LabelStudioError(
                f"Label Studio at {self.url} refused the API key (HTTP 401: {detail}) while {action}. "
                "Use a personal access token (Account & Settings > Personal Access Token), or a legacy token, "
                "which works only on a server started with LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true "
                "(or with legacy tokens enabled under Organization > API Tokens Settings); "
                "put it in LABEL_STUDIO_API_KEY"
            )
        if status == 403:
            return LabelStudioError(f"Label Studio at {self.url} forbids this account {action} (HTTP 403: {detail})")
        if status == 404 and project_id is not None:
            return LabelStudioProjectGone(
                f"Label Studio project {project_id} no longer exists on {self.url} (deleted on the server?); "
                "run `flywheel ls push --recreate` to push its open tasks to a new project"
            )
        return LabelStudioError(f"Label Studio at {self.url} answered HTTP {status} while {action}: {detail}")


def _task_query(updated_after: str | None) -> dict[str, Any]:
    """The task list's query: by id, only tasks updated after the cursor when one is given."""
    query: dict[str, Any] = {"ordering": ["tasks:id"]}
    if updated_after:
        query["filters"] = {"conjunction": "and", "items": [
            {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": updated_after}
        ]}  # fmt: skip
    return query


def _body(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return reply.text


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("detail") or body.get("validation_errors") or body
    return str(body)


def cursor_text(value: Any) -> str | None:
    """A timestamp from the server (text or datetime) as `CURSOR_FORMAT` in UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(CURSOR_FORMAT)


def config_problems(server_config: str, expected: dict[str, tuple[str, set[str] | None]]) -> list[str]:
    """Why results made with `server_config` would not fit Flywheel: each expected control
    (name -> (tag, allowed choice aliases or None)) must be there, of that tag, offering no other choice."""
    try:
        interface = _interface(server_config)
    except Exception as exc:  # the SDK raises several kinds on a config it cannot parse
        return [f"the labeling config does not parse: {exc}"]
    problems = []
    controls = {control.name: control for control in interface.controls}
    for name, (tag, allowed) in expected.items():
        control = controls.get(name)
        if control is None:
            problems.append(f"the {tag} control {name!r} is missing")
        elif control.tag.lower() != tag.lower():
            problems.append(f"{name!r} is a {control.tag}, not a {tag}")
        elif allowed is not None:
            extra = sorted(set(control.labels) - allowed)
            if extra:
                problems.append(f"{name!r} offers choices Flywheel does not know: {', '.join(extra)}")
    return problems


def result_problems(label_config: str, result: list[dict]) -> list[str]:
    """What in an annotation's result does not fit the labeling config (the server does not check)."""
    interface = _interface(label_config)
    problems = []
    for index, region in enumerate(result):
        problems.extend(interface.validate_region(region, return_errors=True, region_index=index))
    return problems


@lru_cache(maxsize=16)
def _interface(label_config: str) -> LabelInterface:
    return LabelInterface(label_config)
