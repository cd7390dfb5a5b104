"""Run the sandbox app with uvicorn on a loopback socket, in the foreground or a thread."""

from __future__ import annotations

import gc
import ipaddress
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from importer.errors import ConfigError
from importer.sandbox.app import SandboxState, create_app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on a loopback address; port 0 picks a free port."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"--host {host!r}: the sandbox listens only on loopback (127.0.0.1)")
    try:
        return listening(host, port)
    except OSError as exc:
        raise ConfigError(f"the sandbox cannot listen on {host}:{port} ({exc.strerror})") from None


def listening(host: str, port: int) -> socket.socket:
    """A TCP socket listening on `host`:`port` (the sandbox's, the web page's); raises
    OSError when the address cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets it knows are TCP, and
    # without it every answer waited ~40 ms for Nagle's algorithm.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def base_url(sock: socket.socket) -> str:
    """The API base URL a client uses for a listening socket."""
    address = sock.getsockname()
    shown = f"[{address[0]}]" if ":" in address[0] else address[0]
    return f"http://{shown}:{address[1]}/rest"


def steady() -> None:
    """For a process that is the sandbox: move what start-up made (modules, the ledger) out of
    the garbage collector's reach. A full collection over them stopped the server for 85 ms
    at a time: requests held meanwhile arrived together, and a rate cap counting a second
    after them answered 429 to a client that had kept its pace."""
    gc.freeze()


class SandboxServer:
    """The sandbox on a loopback port in a background thread: `with SandboxServer(state) as s`."""

    def __init__(self, state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._socket = bind(host, port)
        self.base_url = base_url(self._socket)
        config = uvicorn.Config(
            create_app(state), log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.state.stop()  # answers held on purpose (stall, trickle) would hold up shutdown
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def serve(
    state: SandboxState, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Serve in the foreground until Ctrl-C; `announce` gets the base URL once listening."""
    steady()
    sock = bind(host, port)
    announce(base_url(sock))
    config = uvicorn.Config(create_app(state), log_level="info", lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        state.stop()
