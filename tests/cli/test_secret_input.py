"""``config set``: a secret never needs to be on the command line (issue 16).

``--secret KEY`` asks on the terminal (a real pseudo-terminal here), ``KEY=-`` and
``--stdin KEY`` read standard input, ``--from-file KEY=PATH`` reads a file."""

from __future__ import annotations

import io
import os
import pty
import select
import sys
import termios
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstan.model.values import SecretValue
from kapstan.store import Store
from tests.cli.conftest import Run


def _stored(db_url: str, name: str) -> dict[str, object]:
    with Store.open(db_url) as store:
        return dict(store.get_config(name).values)


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_key_dash_reads_stdin(kapstan: Run, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, "from-stdin-pw\n")
    done = kapstan("config", "set", "dev", "--secret", "db.password=-", "web.host=x")
    assert done.code == 0, done.err
    values = _stored(db_url, "dev")
    assert values["db.password"] == SecretValue("from-stdin-pw")
    assert values["web.host"] == SecretValue("x")  # --secret is for every value given
    assert "from-stdin-pw" not in done.out + done.err
    _stdin(monkeypatch, "3\n")
    assert kapstan("config", "set", "dev", "replicas=-").code == 0
    assert _stored(db_url, "dev")["replicas"] == "3", "text, as read"


def test_stdin_flag_reads_the_bare_key(
    kapstan: Run, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "token-123\r\n")
    assert kapstan("config", "set", "dev", "--secret", "--stdin", "api.token").code == 0
    assert _stored(db_url, "dev")["api.token"] == SecretValue("token-123")


def test_from_file_reads_it_and_names_it_on_errors(
    kapstan: Run, db_url: str, tmp_path: Path
) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("file-pw\n")
    done = kapstan("config", "set", "dev", "--secret", "--from-file", f"db.password={pw}")
    assert done.code == 0, done.err
    assert _stored(db_url, "dev")["db.password"] == SecretValue("file-pw")
    missing = kapstan("config", "set", "dev", "--from-file", f"db.password={tmp_path / 'no'}")
    assert missing.code == 1 and f"{tmp_path / 'no'} does not exist" in missing.err
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    binary = kapstan("config", "set", "dev", "--from-file", f"k={tmp_path / 'bin'}")
    assert binary.code == 1 and "bin is not UTF-8" in binary.err
    empty = tmp_path / "empty"
    empty.write_text("")
    refused = kapstan("config", "set", "dev", "--secret", "--from-file", f"db.password={empty}")
    assert refused.code == 1 and f"{empty} is empty" in refused.err
    assert kapstan("config", "set", "dev", "--from-file", "nopath").code == 1


def test_bare_key_without_a_terminal_says_how_else(kapstan: Run, db_url: str) -> None:
    asked = kapstan("config", "set", "dev", "--secret", "db.password")
    assert asked.code == 1
    assert "no terminal" in asked.err and "KEY=-" in asked.err
    assert "--from-file KEY=PATH" in asked.err
    plain = kapstan("config", "set", "dev", "db.password")
    assert plain.code == 1 and "argument 1 has no value" in plain.err
    two = kapstan("config", "set", "dev", "--secret", "a=-", "b=-")
    assert two.code == 1 and "only one key" in two.err


def test_a_bare_word_is_never_repeated_it_may_be_a_value(kapstan: Run) -> None:
    """``config set dev --secret hunter2-pw``: a value typed where its key was due."""
    for argv in (
        ("--secret", "hunter2-pw"),
        ("hunter2-pw",),
        ("--secret", "--stdin", "hunter2-pw", "x"),
        ("--secret", "not a key!hunter2-pw"),
        ("--secret", "hunter2-pw", "hunter2-pw"),
    ):
        refused = kapstan("config", "set", "dev", *argv)
        assert refused.code == 1, argv
        assert "hunter2-pw" not in refused.out + refused.err, (argv, refused.err)


def test_secret_key_is_asked_on_a_terminal_hidden(db_url: str, tmp_path: Path) -> None:
    argv = [
        sys.executable,
        "-c",
        "from kapstan.cli.main import run; run()",
        "config",
        "set",
        "dev",
        "--secret",
        "db.password",
    ]
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pseudo-terminal
        os.execvpe(argv[0], argv, {**os.environ, "KAPSTAN_DB": db_url})
    seen = b""
    answered = 0
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        prompts = seen.count(b"db.password:") + seen.count(b"confirmation:")
        if prompts > answered:
            _until_echo_is_off(fd)  # getpass flushes what was typed before it hid the input
            os.write(fd, b"typed-pw-1\n")
            answered += 1
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    assert answered == 2, seen  # asked, then asked to repeat
    assert b"typed-pw-1" not in seen, "never echoed"
    assert _stored(db_url, "dev")["db.password"] == SecretValue("typed-pw-1")


def _until_echo_is_off(fd: int) -> None:
    for _ in range(2000):
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return
        select.select([], [], [], 0.005)  # a bounded poll of the terminal's mode, not a wait
    raise AssertionError("the prompt never hid its input")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_text_from_stdin_is_stored_as_it_came(
    kapstan: Run, db_url: str, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    value = text.removesuffix("\n").removesuffix("\r")
    _stdin(monkeypatch, text)
    done = kapstan("config", "set", "fuzz", "--secret", "k=-")
    if not value:
        assert done.code == 1 and "no value for k" in done.err
        return
    assert done.code == 0, done.err
    assert _stored(db_url, "fuzz")["k"] == SecretValue(value)
