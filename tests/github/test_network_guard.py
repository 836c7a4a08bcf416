"""Tests reach nothing beyond 127.0.0.1: the autouse guard refuses and reports the attempt."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.fakegithub import FakeGitHub


def test_connect_to_a_public_address__refused_and_recorded(loopback_only: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
        sock.connect(("192.0.2.10", 443))

    assert loopback_only == ["connect to ('192.0.2.10', 443)"]
    loopback_only.clear()


def test_request_to_api_github_com__refused_at_name_lookup(loopback_only: list[str]) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.github.com/rate_limit", timeout=1)

    assert loopback_only == ["name lookup of 'api.github.com'"]
    loopback_only.clear()


def test_fake_server__on_loopback__reachable(fake_github: FakeGitHub, loopback_only: list[str]) -> None:
    answer = requests.get(f"{fake_github.url}/rate_limit", timeout=5)

    assert answer.status_code == 401
    assert loopback_only == []
