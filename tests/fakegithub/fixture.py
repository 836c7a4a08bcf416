"""pytest fixtures for the fake GitHub.

* ``fake_github``: a running :class:`~tests.fakegithub.server.FakeGitHub` for one test. At
  teardown the test fails if the fake answered anything its API description forbids, crashed,
  or still holds faults that never fired.
* ``loopback_only`` (autouse): a test may only open connections to, and look up names of, the
  loopback interface; anything else fails the test (even when the code under test swallows the
  error).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from .server import FakeGitHub

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Block (and remember) every connection or name lookup that leaves 127.0.0.1/::1."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> OSError:
        attempts.append(what)
        return ConnectionRefusedError(f"tests may only reach 127.0.0.1; blocked {what}")

    def checked(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise refuse(f"connect to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        checked(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        checked(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            attempts.append(f"name lookup of {host!r}")
            raise socket.gaierror(
                socket.EAI_NONAME, f"tests may only reach 127.0.0.1; blocked lookup of {host!r}"
            )
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail("network access outside the loopback interface: " + "; ".join(attempts), pytrace=False)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fake GitHub REST server on 127.0.0.1 for this test."""
    fake = FakeGitHub().start()
    try:
        yield fake
    finally:
        fake.stop()
    problems = fake.problems()
    if problems:
        pytest.fail("fake GitHub:\n" + "\n\n".join(problems), pytrace=False)
