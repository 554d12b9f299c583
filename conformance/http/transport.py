"""The one HTTP transport every request of a check run goes through, bounded like curl or k6.

Schemathesis' phases, apitwin's own checks, the login, the GraphQL phase and the REST calls of
the WebSocket phase all send through a `requests` session with `BoundedAdapter` mounted:

- a connect and a read timeout, and a total one over the whole answer (`--request-timeout`,
  10 s): a server that drips its body a byte at a time is cut off like one that never answers;
- a size cap on the body (`--max-response-size`, 10 MiB), counted while it streams in, so an
  endless body costs at most the cap in memory and is never read further;
- pacing and 429 retries (`conformance.http.pacing`); within a run's time limit, a request
  whose turn would come after it is not sent (`OutOfTime`) rather than waited for;
- a run that has lost its target stops: after `MAX_CONSECUTIVE_TIMEOUTS` requests in a row
  without an answer, or past the run's deadline, every further request fails at once.

What goes wrong on the wire is kept as an `Incident` (which request, what happened) so the run
can report it as a finding on that operation. Schemathesis builds its sessions itself; while a
run is `active()`, the sessions it creates get the adapter too (`bounded_sessions`), so nothing
of Schemathesis is re-implemented.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from conformance.http.pacing import MAX_RETRIES, MAX_TOTAL_WAIT, NoTurn, Pacer

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE_SIZE = 10 * 1024 * 1024
MAX_CONSECUTIVE_TIMEOUTS = 5
#: a run with no `--time-budget` still ends: at most this long (`--deadline` changes it)
DEFAULT_RUN_DEADLINE = 1800.0
#: with `--time-budget`, the run may overrun it by this much before it is stopped
DEADLINE_GRACE = 120.0
#: how long past the run's time limit deleting what the run created may wait for the rate limit
CLEANUP_GRACE = 15.0
CHUNK = 64 * 1024
#: incidents kept for the report (a long run against a broken target would otherwise keep all)
MAX_INCIDENTS = 1000


class NoAnswer(requests.exceptions.ReadTimeout):
    """The server did not answer (in full) within the request timeout."""

    @classmethod
    def after(cls, seconds: float, message: str, request: requests.PreparedRequest) -> "NoAnswer":
        # shaped like the ReadTimeout requests raises (urllib3's error inside), which is what
        # Schemathesis reads the duration from
        inner = ReadTimeoutError(None, str(request.url), f"{message} (read timeout={seconds:g})")  # type: ignore[arg-type]
        return cls(inner, request=request)


class ResponseTooLarge(requests.exceptions.ChunkedEncodingError):
    """The body is larger than the cap; it was not read further."""


class TargetStopped(requests.exceptions.ConnectionError):
    """The run stopped sending: its target stopped answering, or its deadline passed."""


class OutOfTime(TargetStopped):
    """Not sent: the target's rate limit would hold it past the run's time limit."""


def size_text(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    max_consecutive_timeouts: int = MAX_CONSECUTIVE_TIMEOUTS
    run_seconds: float = DEFAULT_RUN_DEADLINE


@dataclass(frozen=True)
class Incident:
    """A request that got no usable answer: `kind` is timeout or too-large."""

    kind: str
    method: str
    url: str
    message: str


@dataclass
class HttpClient:
    """One run's transport: its limits, its pacing, what went wrong, and whether it has stopped."""

    limits: Limits = field(default_factory=Limits)
    pacer: Pacer | None = None
    incidents: list[Incident] = field(default_factory=list)
    stopped: str | None = None
    consecutive_timeouts: int = 0
    started: float = field(default_factory=time.monotonic)
    #: seconds from the start past which no request waits for the target's rate limit (None:
    #: it waits as long as pacing allows); set from the run's time limit, when it has one
    waits_end: float | None = None
    #: requests not sent because their turn came past `waits_end`
    unsent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    # ---- sessions ------------------------------------------------------------------------
    def mount(self, session: requests.Session) -> requests.Session:
        adapter = BoundedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def session(self) -> requests.Session:
        """This thread's session (connections are kept alive between requests)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self.mount(requests.Session())
        return session

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """`requests.request` with this run's bounds (the body is read, capped, unless stream=True)."""
        kwargs.setdefault("timeout", self.limits.timeout)
        return self.session().request(method, url, **kwargs)

    # ---- bookkeeping ---------------------------------------------------------------------
    @property
    def deadline(self) -> float:
        return self.started + self.limits.run_seconds

    @property
    def wait_until(self) -> float | None:
        """The monotonic instant this thread's requests may wait for their turn until."""
        if self.waits_end is None:
            return None
        grace = getattr(self._local, "grace", 0.0)
        return None if grace is None else self.started + self.waits_end + grace

    @contextmanager
    def patient(self, grace: float | None = None, *, try_late: bool = False) -> Iterator[None]:
        """Requests of this thread may wait their turn `grace` seconds past the time budget
        (None: as long as pacing allows): the run's login, or cleaning up what it created, is
        worth a wait that a new test case is not. `try_late`: a request whose turn comes later
        still is sent anyway, until the target answers one of them 429 (a server that reports
        its limits without enforcing them lets the run delete what it created)."""
        before = getattr(self._local, "grace", 0.0), getattr(self._local, "try_late", False)
        self._local.grace, self._local.try_late = grace, try_late
        try:
            yield
        finally:
            self._local.grace, self._local.try_late = before

    @property
    def tries_late(self) -> bool:
        """Whether this thread's requests go even when their turn comes past the budget."""
        return bool(getattr(self._local, "try_late", False))

    def refused_late(self) -> None:
        """The target enforces its limits: this thread's late requests wait their turn again."""
        self._local.try_late = False

    def out_of_time(self, request: requests.PreparedRequest, delay: float) -> OutOfTime:
        with self._lock:
            self.unsent += 1
        return OutOfTime(f"not sent: the target's rate limit would hold {request.method} {urlsplit(str(request.url)).path} "
                         f"{delay:.0f} s, past the run's time limit")

    def check_running(self) -> None:
        if self.stopped is None and time.monotonic() >= self.deadline:
            self.stopped = f"the run's deadline of {self.limits.run_seconds:g} s passed"
        if self.stopped is not None:
            raise TargetStopped(f"not sent: {self.stopped}")

    def record(self, kind: str, request: requests.PreparedRequest, message: str) -> None:
        with self._lock:
            if len(self.incidents) < MAX_INCIDENTS:
                self.incidents.append(Incident(kind, str(request.method), str(request.url), message))
            if kind != "timeout":
                return
            self.consecutive_timeouts += 1
            if self.consecutive_timeouts >= self.limits.max_consecutive_timeouts and self.stopped is None:
                self.stopped = (
                    f"target stopped answering: {self.consecutive_timeouts} requests in a row got no answer "
                    f"within {self.limits.timeout:g} s (last: {request.method} {urlsplit(str(request.url)).path})"
                )

    def answered(self) -> None:
        self.consecutive_timeouts = 0


class BoundedBody:
    """The response's raw stream, read in pieces as they arrive, with a size cap and a deadline.

    Reads use `read1` (whatever has arrived), never a blocking read of a fixed size, so a body
    dripping in byte by byte still meets the deadline between two pieces."""

    def __init__(self, raw: Any, client: HttpClient, request: requests.PreparedRequest, deadline: float) -> None:
        self._raw, self._client, self._request, self._deadline = raw, client, request, deadline
        self._read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def _piece(self, size: int, decode_content: bool | None) -> bytes:
        limits = self._client.limits
        if time.monotonic() > self._deadline:
            self._cut()
            message = f"no complete answer within {limits.timeout:g} s"
            self._client.record("timeout", self._request, message)
            raise NoAnswer.after(limits.timeout, message, self._request)
        try:
            data = self._raw.read1(min(size, CHUNK), decode_content=decode_content)
        except ReadTimeoutError:
            message = f"no answer within {limits.timeout:g} s"
            self._client.record("timeout", self._request, message)
            raise NoAnswer.after(limits.timeout, message, self._request) from None
        if not data:
            self._client.answered()  # a whole answer: the target is alive
        self._read += len(data)
        if self._read > limits.max_response_size:
            self._cut()
            message = f"response larger than {size_text(limits.max_response_size)}"
            self._client.record("too-large", self._request, message)
            raise ResponseTooLarge(message, request=self._request)
        return data

    def _cut(self) -> None:
        """Drop the connection: what is left of the body is never read."""
        try:
            self._raw.close()
        except Exception:  # closing a half-read socket may fail in many ways; it is closed either way
            pass

    def stream(self, amt: int | None = CHUNK, decode_content: bool | None = None) -> Iterator[bytes]:
        while True:
            data = self._piece(amt or CHUNK, decode_content)
            if not data:
                return
            yield data

    def read1(self, amt: int = CHUNK, decode_content: bool | None = None) -> bytes:
        return self._piece(amt, decode_content)

    def read(self, amt: int | None = None, decode_content: bool | None = None, **_: Any) -> bytes:
        if amt is not None:
            return self._piece(amt, decode_content)
        return b"".join(self.stream(CHUNK, decode_content))


class WatchedHeaders:
    """A connection whose wait for the status line and headers is bounded in total, not only
    per read: a server sending its headers a byte at a time is cut off when the read timeout
    has passed, as `socket.timeout` (which urllib3 and requests report as a read timeout)."""

    timeout: Any
    sock: Any

    def getresponse(self) -> Any:
        total = self.timeout if isinstance(self.timeout, (int, float)) else None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):
                pass

        timer = threading.Timer(total, expire) if total else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            return super().getresponse()  # type: ignore[misc]
        except Exception:
            if expired.is_set():
                raise TimeoutError("no status line and headers in time") from None
            raise
        finally:
            if timer is not None:
                timer.cancel()


class WatchedHTTPConnection(WatchedHeaders, urllib3.connection.HTTPConnection):
    pass


class WatchedHTTPSConnection(WatchedHeaders, urllib3.connection.HTTPSConnection):
    pass


class WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class BoundedAdapter(HTTPAdapter):
    """Sends with the run's timeouts and pacing, retries 429s, and caps what is read."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        client = self.client
        limit = client.limits.timeout
        if isinstance(timeout, (int, float)):
            limit = min(limit, float(timeout))
        path = urlsplit(str(request.url)).path
        waited = 0.0
        attempt = 0
        while True:
            client.check_running()
            late = False
            if client.pacer is not None:
                try:
                    waited += client.pacer.wait_turn(str(request.method), path, request.headers, MAX_TOTAL_WAIT - waited, client.wait_until)
                except NoTurn as turn:
                    if not client.tries_late:
                        raise client.out_of_time(request, turn.delay) from None
                    late = True
                client.check_running()
            started = time.monotonic()
            try:
                response = super().send(request, stream=True, timeout=(limit, limit), **kwargs)
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as exc:
                message = f"no answer within {limit:g} s"
                client.record("timeout", request, message)
                raise NoAnswer.after(limit, message, request) from exc
            response.raw = BoundedBody(response.raw, client, request, started + limit)
            retry = None
            if client.pacer is not None:
                retry = client.pacer.observe(str(request.method), path, request.headers, response.status_code, response.headers)
                if late and response.status_code == 429:
                    client.refused_late()
                    response.close()  # sent, and refused: not counted among the requests not sent
                    raise OutOfTime(f"{request.method} {path} was answered 429 past the run's time limit")
            if retry is None or attempt >= MAX_RETRIES or waited + retry > MAX_TOTAL_WAIT:
                return response
            until = client.wait_until
            if until is not None and time.monotonic() + retry > until:
                response.close()
                raise client.out_of_time(request, retry)
            response.close()  # the pacer now holds this caller until the server's reset
            attempt += 1


# ---- the run's client, and Schemathesis' sessions ----------------------------------------
_active: HttpClient | None = None
_fallback = HttpClient()


def current() -> HttpClient:
    """The active run's client, or a default bounded one outside a run."""
    return _active or _fallback


def request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """A bounded request through the active run's transport."""
    return current().request(method, url, **kwargs)


@contextmanager
def active(client: HttpClient) -> Iterator[HttpClient]:
    """Make `client` the run's transport, for our own requests and Schemathesis' alike."""
    global _active
    previous = _active
    _active = client
    try:
        with bounded_sessions(client):
            yield client
    finally:
        _active = previous


@contextmanager
def bounded_sessions(client: HttpClient) -> Iterator[None]:
    """Every session Schemathesis creates meanwhile (one per worker, and its checks' own) gets the
    bounded adapter: its `requests` transport sends through whatever adapter a session has."""
    from schemathesis.transport.requests import SameHostRedirectsSession

    original = SameHostRedirectsSession.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        client.mount(self)

    SameHostRedirectsSession.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        SameHostRedirectsSession.__init__ = original  # type: ignore[method-assign]


# ---- one run's client, and what it saw ---------------------------------------------------
def for_run(settings: Any, contract: Any, base_url: str) -> HttpClient:
    """The client for one `apitwin check` run: its settings' bounds, paced to the contract."""
    from conformance.http.pacing import OperationIndex, declared_rules, parse_rate

    limit = settings.generation_limit
    run_seconds = settings.deadline or (limit + DEADLINE_GRACE if limit else DEFAULT_RUN_DEADLINE)
    limits = Limits(
        timeout=float(settings.request_timeout),
        max_response_size=int(settings.max_response_size),
        run_seconds=float(run_seconds),
    )
    overall = parse_rate(settings.rate_limit) if settings.rate_limit else None
    pacer = Pacer(declared_rules(contract), OperationIndex(contract, urlsplit(base_url).path), overall)
    return HttpClient(limits=limits, pacer=pacer, waits_end=limit)


def incident_findings(client: HttpClient, index: Any) -> list[Any]:
    """Each operation that timed out or answered too much, once per kind of trouble."""
    from conformance.results import Finding

    findings: dict[tuple[str, str], Finding] = {}
    for incident in client.incidents:
        path = urlsplit(incident.url).path
        operation = index.find(incident.method, path)
        template = index.template(path)
        label = (
            operation.label if operation else f"{incident.method} {template}" if template else "requests outside the contract"
        )
        expected = (
            f"an answer within {client.limits.timeout:g} s"
            if incident.kind == "timeout"
            else f"a body of at most {size_text(client.limits.max_response_size)}"
        )
        findings.setdefault(
            (label, incident.kind),
            Finding(
                check="bounded_response",
                operation=label,
                transport="http",
                phase="transport",
                title=incident.message,
                expected=expected,
                actual=incident.message,
                reproduce=f"curl -X {incident.method} --max-time {client.limits.timeout:g} '{incident.url}'",
            ),
        )
    return list(findings.values())
