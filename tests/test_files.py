"""Files on disk: the policy files that paths name, and `write_atomic` on files, links, devices, FIFOs and signals."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from policyc.data import files
from policyc.data.files import NoPolicyFiles, policy_files, write_atomic

# ---------------------------------------------------------------- policy files


def test_a_folder_stands_for_its_policy_files_in_name_order_and_a_file_for_itself(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/z.policy", "a.policy", "notes.txt"):
        (tmp_path / name).write_text("")
    assert policy_files([tmp_path, "elsewhere.policy"]) == [
        tmp_path / "a.policy",
        tmp_path / "b" / "z.policy",
        Path("elsewhere.policy"),
    ]


def test_an_empty_path_names_no_file() -> None:
    with pytest.raises(ValueError, match="an empty path names no file"):
        policy_files([""])


def test_a_folder_without_policies_is_named_when_every_folder_must_hold_one(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert policy_files([tmp_path / "empty"]) == []
    with pytest.raises(NoPolicyFiles, match="empty: no .policy files in this folder"):
        policy_files([tmp_path / "empty"], every_folder=True)


# ---------------------------------------------------------------- regular files


def test_a_file_is_replaced_whole_keeping_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_new_file_gets_the_permissions_the_umask_gives(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "text\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_file_and_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_folder_is_not_replaced(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, "text\n")
    assert tmp_path.is_dir()


# ---------------------------------------------------------------- links, devices and FIFOs


def test_a_symlink_is_written_through_to_its_target_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.txt"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(Path("real") / "out.txt")  # relative to the link's folder
    chain = tmp_path / "chain.txt"
    chain.symlink_to(link)
    write_atomic(chain, "new\n")
    assert chain.is_symlink() and link.is_symlink()
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.txt"]


def test_a_dangling_symlink_makes_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to("made.txt")
    write_atomic(link, "new\n")
    assert link.is_symlink()
    assert (tmp_path / "made.txt").read_text() == "new\n"


def test_dev_null_is_written_into_and_stays_a_character_device() -> None:
    write_atomic("/dev/null", "nothing to keep\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_into_for_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


# ---------------------------------------------------------------- signals

# A write made slow where a signal can catch it: after the temporary file is written, before it is renamed.
SLOW_WRITE = """
import os, sys, time
from policyc.data import files

def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

files.os.fsync = slow_fsync
files.write_atomic(sys.argv[1], "new\\n")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_a_write_leaves_the_original_and_no_temporary_file(tmp_path: Path, signum: int) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline() == "writing\n"
        assert len(list(tmp_path.glob(".out.txt.*.tmp"))) == 1  # caught in the middle of the write
        process.send_signal(signum)
        process.wait(timeout=20)
    finally:
        process.kill()
        process.stdout.close()
    assert process.returncode == -signum  # ended by the signal, as it would have been without the write
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert path.read_text() == "old\n"


def test_the_handlers_are_restored_after_a_write_and_a_handler_of_the_callers_kept(tmp_path: Path) -> None:
    def callers(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGUSR1, callers)
    try:
        before = {signum: signal.getsignal(signum) for signum in files.TERMINATING}
        write_atomic(tmp_path / "out.txt", "text\n")
        assert {signum: signal.getsignal(signum) for signum in files.TERMINATING} == before
        assert signal.getsignal(signal.SIGUSR1) is callers
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_write_from_another_thread_works_without_handlers(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            write_atomic(tmp_path / "out.txt", "from a thread\n")
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=10)
    assert errors == []
    assert (tmp_path / "out.txt").read_text() == "from a thread\n"
