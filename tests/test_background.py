"""The test session's background jobs start their processes even when exec fails once with EFAULT."""

import errno
import subprocess

import pytest

import background


class _Exec:
    """Stands in for subprocess.Popen: raises the given errnos in turn, then starts nothing."""

    def __init__(self, *errnos: int) -> None:
        self.errnos = list(errnos)
        self.calls = 0

    def __call__(self, command, **kwargs):
        self.calls += 1
        assert kwargs["start_new_session"]
        if self.errnos:
            number = self.errnos.pop(0)
            raise OSError(number, "planted", command[0])
        return "started"


@pytest.fixture
def planted(monkeypatch):
    def plant(*errnos: int) -> _Exec:
        fake = _Exec(*errnos)
        monkeypatch.setattr(subprocess, "Popen", fake)
        monkeypatch.setattr(background.time, "sleep", lambda seconds: None)
        return fake

    return plant


def test_a_transient_bad_address_from_exec_is_tried_again(planted):
    fake = planted(errno.EFAULT)
    assert background._spawn(["python"]) == "started"
    assert fake.calls == 2


def test_a_bad_address_every_time_is_raised_after_the_last_attempt(planted):
    fake = planted(*[errno.EFAULT] * background.SPAWN_ATTEMPTS)
    with pytest.raises(OSError) as raised:
        background._spawn(["python"])
    assert raised.value.errno == errno.EFAULT
    assert fake.calls == background.SPAWN_ATTEMPTS


def test_any_other_failure_to_start_is_raised_at_once(planted):
    fake = planted(errno.ENOENT)
    with pytest.raises(FileNotFoundError):
        background._spawn(["no-such-program"])
    assert fake.calls == 1
