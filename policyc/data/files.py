"""Files on disk: the policy files that paths name, and output written all at once.

Whatever writes a file (the command line's `--out` and `fmt`, the Python API) writes through `write_atomic`, so a
failure, or a signal that ends the process, never leaves a file half written or a temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

PathArg = str | os.PathLike[str]

# The signals whose default action ends the process and that a handler can catch, and so clean up after.
# The hardware faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL) are left out: the process cannot safely go on after one.
TERMINATING = tuple(
    getattr(signal, name)
    for name in (
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGTERM",
        "SIGALRM",
        "SIGUSR1",
        "SIGUSR2",
        "SIGPIPE",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGIO",
        "SIGPWR",
    )
    if hasattr(signal, name)
)


class NoPolicyFiles(Exception):
    """A folder that was to hold policies holds no `.policy` file."""

    def __init__(self, folder: Path):
        super().__init__(f"{folder}: no .policy files in this folder")
        self.folder = folder


def policy_files(paths: Iterable[PathArg], *, every_folder: bool = False) -> list[Path]:
    """Files as given; a folder stands for the `.policy` files in it and below, in name order.

    With `every_folder`, a folder that holds none raises NoPolicyFiles. An empty path raises ValueError: it would
    otherwise stand for the current folder, which nobody means by it.
    """
    out: list[Path] = []
    for raw in paths:
        if not os.fspath(raw):
            raise ValueError("an empty path names no file")
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.rglob("*.policy"))
            if every_folder and not found:
                raise NoPolicyFiles(path)
            out.extend(found)
        else:
            out.append(path)
    return out


def write_atomic(path: PathArg, text: str | bytes) -> None:
    """Write `text` (as UTF-8) or bytes to `path` all at once, so that no failure leaves the file half written.

    A regular file, or a new one, is replaced by a temporary file written beside it and renamed over it, keeping
    its permissions. A symbolic link is followed to the file it finally names, which is replaced there; the link
    stays a link. A character device (`/dev/null`), a pipe or a FIFO is written straight into: it cannot be
    replaced, and must stay what it is. Raises OSError, naming the path, when the file cannot be written.
    """
    given = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        info: os.stat_result | None = os.stat(given)
    except FileNotFoundError:  # a new file, or a link to one yet to be made
        info = None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        # the path as given, not resolved: /dev/stdout leads to a pipe that has no name to resolve to
        with open(given, "wb") as handle:
            handle.write(data)
        return
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(given))
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a file, a character device or a pipe", str(given))
    _replace(Path(os.path.realpath(given)), data, info)


def _replace(path: Path, data: bytes, info: os.stat_result | None) -> None:
    with _removed_on_termination() as made:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        made.append(tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if info is not None:
                _keep_owner(tmp, info)  # first: a change of owner clears the set-user-ID bit that chmod restores
                os.chmod(tmp, stat.S_IMODE(info.st_mode))
            else:  # mkstemp makes the file private; a new output file gets the usual permissions
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    _sync_folder(path.parent)


def _keep_owner(tmp: str, info: os.stat_result) -> None:
    """Give the new file the old one's owner where we may: root formatting a user's policy must not take it over."""
    made = os.stat(tmp)
    if (made.st_uid, made.st_gid) != (info.st_uid, info.st_gid):
        with contextlib.suppress(PermissionError):
            os.chown(tmp, info.st_uid, info.st_gid)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a file system that cannot sync a folder has nothing to lose by it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _removed_on_termination() -> Iterator[list[str]]:
    """While the block runs, a terminating signal removes the files it lists, then ends the process as it would have.

    SIGINT already arrives as KeyboardInterrupt, which the block's own cleanup handles; the others would end the
    process at once. Only signals left to their default action are taken over, and only for this block: a handler
    someone else installed, or a signal they chose to ignore, stays theirs. Handlers can be set only in the main
    thread; elsewhere the block runs as it is.
    """
    made: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield made
        return
    taken: list[int] = []

    def clean_up_and_end(signum: int, frame: FrameType | None) -> None:
        for name in made:  # once renamed into place a temporary name no longer exists, so nothing else is lost
            Path(name).unlink(missing_ok=True)
        restore()
        signal.raise_signal(signum)
        os._exit(128 + signum)  # the signal is blocked in this thread: end with the status it would have given

    def restore() -> None:
        for number in taken:
            signal.signal(number, signal.SIG_DFL)

    for signum in TERMINATING:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, clean_up_and_end)
            taken.append(signum)
    try:
        yield made
    finally:
        restore()
