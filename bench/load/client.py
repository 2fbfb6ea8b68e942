"""One Streamlit session spoken over its websocket, without a browser and without rendering.

What a browser tab does, reduced to the protocol (read from streamlit 1.67's
``web/server/starlette/starlette_websocket.py``, ``runtime/app_session.py`` and the protos):

1. ``GET /_stcore/health``: the server answers with the ``_streamlit_xsrf`` cookie, which the
   browser then sends with every request (a balancer that is sticky by that cookie needs it).
2. Open the websocket ``/_stcore/stream`` offering the subprotocols ``streamlit`` and the XSRF
   token (the server reads its second entry as the token, the third as a session to resume).
3. Send a ``BackMsg`` whose ``rerun_script`` is a ``ClientState``: the URL's ``query_string``, the
   page (``page_name`` is the URL path, ``page_script_hash`` once the server has told us), the
   ``widget_states`` of the controls the user changed, and the hashes of large messages it
   already holds (``cached_message_hashes``; the server then sends a ``ref_hash`` instead).
4. Read ``ForwardMsg`` frames until ``script_finished``: ``new_session`` and ``navigation`` name
   the page, ``page_info_changed`` carries the new query string (the browser's URL), ``delta``s
   carry the elements. A widget's id is the ``id`` field of its element (``$$ID-<hash>-<key>``
   for a widget with a key), an ``exception`` element is what a page shows for an uncaught error.

A control move is step 3 again with one changed ``WidgetState``; its latency as the client sees
it is the time from sending that message to the ``script_finished`` of the run it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

XSRF_COOKIE = "_streamlit_xsrf"
# Element types whose state this client can set, and how each is sent (as the browser does).
WIDGETS = ("slider", "number_input", "checkbox")
# The browser's default, replaced by what the server's new_session config says.
MAX_CACHED_MESSAGE_AGE = 2


class SessionError(Exception):
    """Something a user would see as broken: no connection, no answer, or an error shown."""


@dataclass
class Widget:
    kind: str  # the Element oneof: slider, number_input, checkbox
    id: str
    label: str
    proto: object  # the element's proto (Slider, NumberInput, Checkbox)

    @property
    def key(self) -> str:
        """The user key: what follows the hash in ``$$ID-<hash>-<key>`` ('' when none)."""
        parts = self.id.split("-", 2)
        return parts[2] if len(parts) == 3 else ""

    def value(self) -> float | bool:
        """The value the server drew the widget with."""
        p = self.proto
        if self.kind == "slider":
            return (p.value if p.set_value and p.value else p.default)[0]
        return p.value if p.set_value else p.default

    def url_value(self, value: float | bool) -> str | None:
        """What the browser writes into the URL for a widget bound to a query parameter
        (JavaScript's number and boolean spelling); None when the value is the default, which
        the browser drops from the URL."""
        p = self.proto
        default = p.default[0] if self.kind == "slider" else p.default
        if value == default:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return f"{value:g}" if float(value).is_integer() else repr(float(value))

    def state(self, value: float | bool) -> WidgetState:
        """The WidgetState a browser sends when the user sets this widget to ``value``."""
        state = WidgetState(id=self.id)
        if self.kind == "slider":
            state.double_array_value.data.append(float(value))
        elif self.kind == "number_input" and self.proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        elif self.kind == "number_input":
            state.double_value = float(value)
        else:
            state.bool_value = bool(value)
        return state


@dataclass
class Run:
    """What one script run sent: its finish status, exceptions, error alerts, size."""

    status: int | None = None
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0


def xsrf_cookie(base_url: str, timeout: float) -> str:
    """GET /_stcore/health as the browser does and return the XSRF cookie it sets ('' if none)."""
    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=timeout) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == XSRF_COOKIE:
                return rest.split(";", 1)[0]
    return ""


class Session:
    """One browser tab on one page: ``await open()``, then ``await move(...)``, then ``close()``.

    Parameters
    ----------
    base_url : str
        ``http://host:port`` of a server or of the balancer in front of several.
    page : str
        The page's URL path (``eight_schools``), as st.navigation names it.
    query : str
        The link's query string without ``?`` (``nuts=true``).
    timeout : float
        Seconds to wait for a connection or for a run to finish before it counts as an error.
    """

    def __init__(self, base_url: str, page: str, query: str = "", *, timeout: float = 180):
        self.base_url = base_url.rstrip("/")
        self.page = page
        self.query = query
        self.timeout = timeout
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}  # by user key (keyless widgets by id)
        self._states: dict[str, WidgetState] = {}  # what this user has set, by widget id
        self._cache: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (message, last run used)
        self._max_age = MAX_CACHED_MESSAGE_AGE
        self._runs = 0
        self._run = Run()
        self._finished: asyncio.Future | None = None
        self._ws = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> float:
        """Connect and run the page once (as a link opened in a new tab); return seconds taken."""
        start = time.perf_counter()
        try:
            cookie = await asyncio.to_thread(xsrf_cookie, self.base_url, self.timeout)
            url = urlsplit(self.base_url)
            self._ws = await connect(
                f"{'wss' if url.scheme == 'https' else 'ws'}://{url.netloc}/_stcore/stream",
                subprotocols=["streamlit", cookie] if cookie else ["streamlit"],
                origin=self.base_url,
                additional_headers={"Cookie": f"{XSRF_COOKIE}={cookie}"} if cookie else None,
                max_size=None,
                ping_interval=None,
                proxy=None,
                open_timeout=self.timeout,
            )
        except (OSError, TimeoutError, InvalidHandshake) as err:
            raise SessionError(f"{self.page}: no connection: {type(err).__name__}: {err}") from err
        self._reader = asyncio.create_task(self._read())
        await self._rerun()
        return time.perf_counter() - start

    async def move(self, key: str, value: float | bool) -> float:
        """Set the widget with user key ``key`` to ``value`` as a user would; wait for the run it
        starts to finish; return the seconds from sending to ``script_finished``."""
        widget = self.widgets.get(key)
        if widget is None:
            raise SessionError(f"{self.page}: no widget with key {key!r} in {sorted(self.widgets)}")
        self._states[widget.id] = widget.state(value)
        if widget.proto.query_param_key:  # the browser keeps a bound widget's value in the URL
            params = dict(parse_qsl(self.query, keep_blank_values=True))
            params.pop(widget.proto.query_param_key, None)
            shown = widget.url_value(value)
            if shown is not None:
                params[widget.proto.query_param_key] = shown
            self.query = urlencode(params)
        start = time.perf_counter()
        await self._rerun()
        return time.perf_counter() - start

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, SessionError):
                await self._reader

    async def _rerun(self) -> Run:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(self._states.values())
        state.cached_message_hashes.extend(self._cache)
        self._run = Run()
        self._finished = asyncio.get_running_loop().create_future()
        try:
            await self._ws.send(message.SerializeToString())
            async with asyncio.timeout(self.timeout):
                await self._finished
        except TimeoutError as err:
            raise SessionError(f"{self.page}: no script_finished in {self.timeout:g} s") from err
        except (OSError, ConnectionClosed) as err:  # the connection broke while sending
            raise SessionError(f"{self.page}: connection lost: {err}") from err
        run = self._run
        if run.status != ForwardMsg.FINISHED_SUCCESSFULLY:
            raise SessionError(f"{self.page}: the run finished with status {run.status}")
        if run.exceptions:
            raise SessionError(f"{self.page}: exception element: {run.exceptions[0]}")
        if run.error_alerts:
            raise SessionError(f"{self.page}: st.error shown: {run.error_alerts[0]}")
        return run

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                message = ForwardMsg()
                message.ParseFromString(frame)
                self._run.messages += 1
                self._run.bytes += len(frame)
                self._handle(message)
        except Exception as err:  # the connection closed or broke: fail the waiting run
            self._fail(SessionError(f"{self.page}: connection lost: {type(err).__name__}: {err}"))
            raise
        self._fail(SessionError(f"{self.page}: the server closed the connection"))

    def _fail(self, err: SessionError) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_exception(err)

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "ref_hash":  # a large message we said we hold
            cached = self._cache.get(message.ref_hash)
            if cached is None:
                self._fail(SessionError(f"{self.page}: ref_hash of a message never received"))
                return
            message, kind = cached[0], cached[0].WhichOneof("type")
            self._cache[message.hash] = (message, self._runs)
        elif message.metadata.cacheable:
            self._cache[message.hash] = (message, self._runs)
        if kind == "new_session":
            self.page_hash = message.new_session.page_script_hash or self.page_hash
            self._max_age = message.new_session.config.max_cached_message_age or self._max_age
        elif kind == "navigation":
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "page_not_found":
            self._run.exceptions.append(f"page not found: {message.page_not_found.page_name}")
        elif kind == "session_event" and message.session_event.HasField(
            "script_compilation_exception"
        ):
            self._run.exceptions.append(message.session_event.script_compilation_exception.message)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element)
        elif kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # a rerun the page asked for (st.rerun) follows: wait for that one
            self._run.status = message.script_finished
            self._runs += 1
            # the browser forgets large messages not used in its last few runs
            self._cache = {
                h: (m, used)
                for h, (m, used) in self._cache.items()
                if self._runs - used <= self._max_age
            }
            if self._finished is not None and not self._finished.done():
                self._finished.set_result(message.script_finished)

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self._run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self._run.error_alerts.append(element.alert.body)
        elif kind in WIDGETS:
            proto = getattr(element, kind)
            widget = Widget(kind, proto.id, proto.label, proto)
            self.widgets[widget.key or widget.id] = widget
