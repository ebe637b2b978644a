"""``challenge-rules serve``: the real command, in a subprocess, on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import challenge_rules
from challenge_rules.cli import EXIT_INVALID, EXIT_USAGE, main

ROOT = Path(__file__).parent.parent
CASE = json.loads((ROOT / "examples/cases/pan-cheshire-step1-overdue.json").read_text("utf-8"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_requests_and_logs_no_personal_data(tmp_path: Path) -> None:
    httpx = pytest.importorskip("httpx", reason="needs the test extra")
    pytest.importorskip("uvicorn", reason="the service needs the server extra")
    document = json.loads((ROOT / "src/challenge_rules/policies/hips.json").read_text("utf-8"))
    document["id"] = "our-area"
    (tmp_path / "ours.json").write_text(json.dumps(document), "utf-8")
    port = free_port()
    command = [sys.executable, "-m", "challenge_rules", "serve", "--port", str(port)]
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        server = subprocess.Popen(  # noqa: S603 - our own command
            [*command, "--policies", str(tmp_path)], stderr=stderr, stdout=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):  # bounded: at most 20 s to start
                try:
                    health = httpx.get(f"{base}/v1/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start: " + log.read_text())
            assert health.json()["policies"] >= 6
            body = {"as_of": "2026-06-30T09:00:00+01:00", "history": CASE}
            answer = httpx.post(f"{base}/v1/evaluate", json=body, timeout=10)
            assert answer.status_code == 200
            assert answer.json()["reference"] == CASE["reference"]
            ours = httpx.get(f"{base}/v1/policies/our-area", timeout=10)
            assert ours.json()["id"] == "our-area"
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    assert "POST /v1/evaluate 200 " in text
    assert CASE["reference"] not in text
    assert "127.0.0.1:" not in text.replace(f"http://127.0.0.1:{port}", "")


def test_serve_refuses_to_start_with_an_invalid_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("uvicorn", reason="the service needs the server extra")
    (tmp_path / "broken.json").write_text('{"id": "x", "stages": []}', "utf-8")
    assert main(["serve", "--policies", str(tmp_path), "--port", str(free_port())]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert str(tmp_path / "broken.json") in err
    assert "missing" in err


def test_serve_refuses_limits_that_are_not_positive(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn", reason="the service needs the server extra")
    assert main(["serve", "--max-events", "0"]) == EXIT_USAGE
    assert "--max-events: '0' is not a whole number above 0" in capsys.readouterr().err


def test_serve_without_the_server_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delattr(challenge_rules, "service", raising=False)
    for name in [n for n in sys.modules if n.startswith("challenge_rules.service")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ["starlette", *[n for n in sys.modules if n.startswith("starlette.")]]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    assert main(["serve", "--port", str(free_port())]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "pip install 'challenge-rules[server]'" in err
    assert "Traceback" not in err
