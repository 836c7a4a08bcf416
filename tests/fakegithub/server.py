"""HTTP plumbing of the fake GitHub: the server thread, authentication, permissions, faults,
rate-limit headers, response validation and the request log.

:class:`FakeGitHub` is what tests hold. It listens on ``127.0.0.1`` on a free port; point PyGithub
at :attr:`FakeGitHub.url` (``Github(base_url=fake.url, auth=Auth.Token(...))``) or use
:meth:`FakeGitHub.client`. Each request goes through, in GitHub's order:

1. canned faults (:attr:`FakeGitHub.faults`);
2. ``Authorization`` (``token X`` / ``Bearer X``): unknown → 401 ``Bad credentials``,
   missing → 401 ``Requires authentication``;
3. routing against the description: unknown path or method → 404 ``Not Found``;
4. the primary rate limit of the token;
5. path parameters (a non-number where a number goes → 404) and the repository (→ 404);
6. the token's permission for the operation → 403 ``Resource not accessible by integration``;
7. query parameters and JSON body against the description → 400/422 in GitHub's wording;
8. the operation itself (``handlers.py``), under the state lock.

Every JSON response is then checked against the operation's response schema; a mismatch is a bug
in the fake, recorded in :attr:`FakeGitHub.errors` (the pytest fixture fails the test) and sent
as a 500 so the client notices too.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import threading
import traceback
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from github import Auth, Github

from .faults import NOT_ACCESSIBLE_MESSAGE, FaultQueue
from .handlers import HANDLERS, ApiError, Permission, Request, Response
from .render import Renderer, Urls
from .requestlog import RecordedRequest, RequestLog
from .spec import Operation, RouteMatch, Spec, invalid_request_message
from .state import LEVELS, Clock, GitHubState, Repository, Token, rate_limit_reset

API_VERSIONS = ("2022-11-28", "2026-03-10")
DEFAULT_API_VERSION = "2022-11-28"
DOCS_URL = "https://docs.github.com/rest"
RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
#: GitHub's answer when a required JSON body is missing altogether.
MISSING_BODY_MESSAGE = invalid_request_message(["For 'links/0/schema', nil is not an object."])


@functools.lru_cache(maxsize=1)
def default_spec() -> Spec:
    """The description, loaded once per test session."""
    return Spec.load()


def _token_value(authorization: str) -> str | None:
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeGitHub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30
    server: _Server

    def _dispatch(self) -> None:
        self.server.fake.handle(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is :attr:`FakeGitHub.log`."""


class FakeGitHub:
    """A GitHub REST server for tests, answering from in-memory state.

    Seed it with :meth:`add_token` and :meth:`add_repo` (then the returned
    :class:`~tests.fakegithub.state.Repository`'s methods), inject failures with :attr:`faults`,
    and assert on :attr:`log` and on the state afterwards.
    """

    def __init__(
        self,
        *,
        spec: Spec | None = None,
        clock: Clock | None = None,
        html_url: str = "https://github.com",
    ) -> None:
        self.spec = spec or default_spec()
        self.state = GitHubState(clock)
        self.clock = self.state.clock
        self.log = RequestLog()
        self.faults = FaultQueue()
        self.errors: list[str] = []
        self.html_url = html_url
        self._errors_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake GitHub server is not running; call start()")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The API base URL (what ``GITHUB_API_URL`` would be)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def storage_url(self) -> str:
        """Where artifact downloads and raw files are served from (another host name, no auth)."""
        return f"http://localhost:{self.port}/_storage"

    @property
    def urls(self) -> Urls:
        return Urls(api=self.url, html=self.html_url, storage=self.storage_url)

    # -- seeding --------------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        permissions: Mapping[str, str],
        *,
        login: str = "github-actions[bot]",
        installation: bool = True,
        rate_limit: int = 5000,
    ) -> Token:
        """Register a token with fine-grained ``permissions`` (``{"checks": "write", ...}``)."""
        return self.state.add_token(
            token, permissions, login=login, installation=installation, rate_limit=rate_limit
        )

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        files: Mapping[str, str | bytes] | None = None,
    ) -> Repository:
        return self.state.add_repo(full_name, default_branch=default_branch, private=private, files=files)

    def repo(self, full_name: str) -> Repository:
        return self.state.repo(full_name)

    def client(self, token: str, **kwargs: Any) -> Github:
        """A PyGithub client for this server: no throttling, no retries unless ``retry=`` is given."""
        kwargs.setdefault("retry", None)
        kwargs.setdefault("seconds_between_requests", 0)
        kwargs.setdefault("seconds_between_writes", 0)
        kwargs.setdefault("timeout", 10)
        return Github(base_url=self.url, auth=Auth.Token(token), **kwargs)

    # -- failures of the fake itself ------------------------------------------------------------

    def record_error(self, message: str) -> None:
        with self._errors_lock:
            self.errors.append(message)

    def problems(self) -> list[str]:
        """Bugs in the fake seen so far, and faults the test queued that never fired."""
        unused = [f"fault never served: {f.method} {f.path} → {f.status}" for f in self.faults.pending()]
        with self._errors_lock:
            return [*self.errors, *unused]

    # -- one request ----------------------------------------------------------------------------

    def handle(self, http: _Handler) -> None:
        incoming = _Incoming.read(http)
        operation: Operation | None = None
        token: Token | None = None
        if incoming.path.startswith("/_storage/"):
            response = self._storage(incoming.method, incoming.path)
        else:
            operation, token, response = self._api(incoming)
            response = self._checked(operation, response)
        payload, sent = self._compose(
            incoming.method,
            response,
            operation=operation,
            token=token,
            requested_version=incoming.headers.get("X-GitHub-Api-Version"),
        )
        self.log.append(
            RecordedRequest(
                method=incoming.method,
                path=incoming.path,
                query=incoming.query,
                body=incoming.body
                if incoming.parsed
                else incoming.raw_body.decode("utf-8", "replace") or None,
                headers=incoming.headers,
                status=response.status,
                operation_id=operation.operation_id if operation else None,
                login=token.user.login if token else None,
                response=response.body,
                response_headers=sent,
            )
        )
        http.send_response(response.status)
        for name, value in sent.items():
            http.send_header(name, value)
        http.end_headers()
        if payload:
            http.wfile.write(payload)
        http.wfile.flush()

    def _api(self, incoming: _Incoming) -> tuple[Operation | None, Token | None, Response]:
        match = self.spec.match(incoming.method, incoming.path)
        operation = match.operation if match else None
        token = None
        if incoming.authorization is not None:
            value = _token_value(incoming.authorization)
            token = self.state.tokens.get(value) if value else None
        try:
            fault = self.faults.take(
                incoming.method, incoming.path, operation.operation_id if operation else None
            )
            if fault is not None:
                return operation, token, Response(fault.status, fault.body, dict(fault.headers))
            if incoming.authorization is not None and token is None:
                raise ApiError(401, "Bad credentials")
            if match is None:
                raise ApiError(404, "Not Found", documentation_url=DOCS_URL)
            implementation = HANDLERS.get(match.operation.operation_id)
            if implementation is None:
                raise ApiError(404, "Not Found")
            if token is None:
                raise ApiError(401, "Requires authentication")
            request = self._admit(incoming, match, token, implementation.permission)
            with self.state.lock:
                if incoming.method in WRITE_METHODS:
                    self.clock.tick()
                response = implementation.handler(request)
        except ApiError as error:
            response = _error_response(error, operation)
        except Exception:
            self.record_error(
                f"{incoming.method} {incoming.path}: the fake crashed:\n{traceback.format_exc()}"
            )
            response = Response(500, {"message": "Server Error", "documentation_url": DOCS_URL})
        return operation, token, response

    def _admit(self, incoming: _Incoming, match: RouteMatch, token: Token, permission: Permission) -> Request:
        """Rate limit, path, repository, permission, query and body checks; the handler's request."""
        operation = match.operation
        self._count_request(token, operation)
        params = self.spec.path_values(operation, match.raw_params)
        if params is None:
            raise ApiError(404, "Not Found")
        repo = None
        if "owner" in params and "repo" in params:
            repo = self.state.repos.get(f"{params['owner']}/{params['repo']}")
            if repo is None:
                raise ApiError(404, "Not Found")
        if not any(token.level(scope) >= LEVELS[permission.level] for scope in permission.scopes):
            raise ApiError(403, NOT_ACCESSIBLE_MESSAGE)
        values, problems = self.spec.query_values(operation, incoming.query)
        if problems:
            raise ApiError(422, invalid_request_message(problems))
        return Request(
            operation=operation,
            method=incoming.method,
            path=incoming.path,
            params=params,
            query=values,
            raw_query=incoming.query,
            body=self._body(operation, incoming),
            token=token,
            repo=repo,
            state=self.state,
            render=Renderer(self.state, self.urls),
            urls=self.urls,
        )

    def _body(self, operation: Operation, incoming: _Incoming) -> Any:
        """The JSON body, checked against the operation's request body schema."""
        if operation.body_pointer is None:
            return incoming.body if incoming.parsed else None
        if not incoming.raw_body.strip():
            if operation.body_required:
                raise ApiError(422, MISSING_BODY_MESSAGE)
            return None
        if not incoming.parsed:
            raise ApiError(400, "Problems parsing JSON")
        problems = self.spec.body_messages(operation, incoming.body)
        if problems:
            raise ApiError(422, invalid_request_message(problems))
        return incoming.body

    def _count_request(self, token: Token, operation: Operation) -> None:
        """Primary rate limit: every request but ``GET /rate_limit`` costs one."""
        if operation.operation_id == "rate-limit/get":
            return
        with self.state.lock:
            if token.remaining <= 0:
                who = "installation ID 1" if token.installation else f"user ID {token.user.id}"
                raise ApiError(
                    403, f"API rate limit exceeded for {who}.", documentation_url=RATE_LIMIT_DOCS_URL
                )
            token.used += 1

    def _checked(self, operation: Operation | None, response: Response) -> Response:
        """The response, or a 500 when it breaks the description (recorded as a bug in the fake)."""
        if response.content is not None:
            return response
        problems = self.spec.response_problems(operation, response.status, response.body, response.headers)
        if not problems:
            return response
        for problem in problems:
            self.record_error(f"response does not match GitHub's description: {problem}")
        return Response(500, {"message": "Server Error", "documentation_url": DOCS_URL})

    def _storage(self, method: str, path: str) -> Response:
        """Artifact archives and raw files, as the storage hosts GitHub redirects to serve them."""
        parts = [urllib.parse.unquote(p) for p in path.split("/")[3:]]
        kind = path.split("/")[2] if path.count("/") >= 2 else ""
        with self.state.lock:
            if method == "GET" and kind == "artifacts" and len(parts) == 4:
                repo = self.state.repos.get(f"{parts[0]}/{parts[1]}")
                artifact = repo.artifacts.get(int(parts[2])) if repo and parts[2].isdigit() else None
                if artifact is not None and not artifact.expired:
                    return Response(200, content=artifact.data, content_type="application/zip")
            if method == "GET" and kind == "raw" and len(parts) >= 4:
                repo = self.state.repos.get(f"{parts[0]}/{parts[1]}")
                for split in range(3, len(parts)):
                    ref, file_path = "/".join(parts[2:split]), "/".join(parts[split:])
                    data = repo.file(file_path, ref) if repo else None
                    if data is not None:
                        return Response(200, content=data, content_type="text/plain; charset=utf-8")
        return Response(404, content=b"404: Not Found", content_type="text/plain; charset=utf-8")

    def _compose(
        self,
        method: str,
        response: Response,
        *,
        operation: Operation | None,
        token: Token | None,
        requested_version: str | None,
    ) -> tuple[bytes, dict[str, str]]:
        """The bytes and headers to send (``Date`` and ``Server`` come from the HTTP server)."""
        if response.content is not None:
            payload = response.content
        elif response.body is not None:
            payload = json.dumps(response.body, ensure_ascii=False, separators=(",", ":")).encode()
        else:
            payload = b""
        number = next(self._request_ids)
        headers: dict[str, str] = {}
        if payload:
            headers["Content-Type"] = response.content_type
        headers["Content-Length"] = str(len(payload))
        headers["X-GitHub-Request-Id"] = f"{number:04X}:{self.port:04X}:{number:07X}:{number:07X}:0000FAKE"
        if response.content is None:
            version = requested_version if requested_version in API_VERSIONS else DEFAULT_API_VERSION
            headers["X-GitHub-Api-Version-Selected"] = version
            headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        if token is not None:
            headers["X-RateLimit-Limit"] = str(token.rate_limit)
            headers["X-RateLimit-Remaining"] = str(token.remaining)
            headers["X-RateLimit-Reset"] = str(rate_limit_reset(self.clock))
            headers["X-RateLimit-Used"] = str(token.used)
            headers["X-RateLimit-Resource"] = "core"
        if operation is not None and operation.operation_id in HANDLERS:
            permission = HANDLERS[operation.operation_id].permission
            accepted = "; ".join(
                f"{scope.replace('-', '_')}={permission.level}" for scope in permission.scopes
            )
            headers["X-Accepted-GitHub-Permissions"] = accepted
        if method == "GET" and response.status == 200 and payload:
            headers["ETag"] = f'W/"{hashlib.sha256(payload).hexdigest()}"'
        headers.update(response.headers)
        return payload, headers


@dataclass(frozen=True)
class _Incoming:
    """One request as read off the socket."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    authorization: str | None
    raw_body: bytes
    body: Any
    parsed: bool

    @classmethod
    def read(cls, http: _Handler) -> _Incoming:
        split = urllib.parse.urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        raw_body = http.rfile.read(length) if length else b""
        body, parsed = _parse_json(raw_body)
        return cls(
            method=http.command,
            path=split.path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers={k: v for k, v in http.headers.items() if k.lower() != "authorization"},
            authorization=http.headers.get("Authorization"),
            raw_body=raw_body,
            body=body,
            parsed=parsed,
        )


def _parse_json(raw: bytes) -> tuple[Any, bool]:
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, False


def _error_response(error: ApiError, operation: Operation | None) -> Response:
    docs = error.documentation_url or (operation.docs_url if operation else DOCS_URL)
    body: dict[str, Any] = {"message": error.message, "documentation_url": docs, "status": str(error.status)}
    if error.errors is not None:
        body["errors"] = error.errors
    return Response(error.status, body, dict(error.headers))
