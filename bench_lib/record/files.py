"""Writes files atomically (a temporary file, then a rename), so no reader ever sees half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = False) -> None:
    """Writes data (text as UTF-8) to path through a temporary file in the same folder.

    Raises:
      FileExistsError: path exists and overwrite is False.
      OSError: the folder could not be made or the file written (its filename is path); no
        temporary file is left and an earlier file at path is unchanged.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists already; choose another path")
    if overwrite:
        write_all_atomic({path: data})
        return
    tmp, made = None, []
    try:
        made = _make_folder(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        _fill(fd, tmp, data)
        os.link(tmp, path)  # fails, rather than replaces, if path appeared meanwhile
    except OSError as error:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
            tmp = None
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if not isinstance(error, FileExistsError):
            error.filename = str(path)  # the file meant, not its temporary name
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _fill(fd: int, tmp: str, data: str | bytes) -> None:
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a report or result is meant to be read
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())


def write_all_atomic(files: dict[Path, str | bytes]) -> None:
    """Writes (or replaces) every file, or none: each goes to a temporary file in its folder first,
    and only once all of them are whole on disk are they renamed into place.

    A full disk, a read-only or non-creatable folder thus leaves every earlier file as it was and
    no temporary file behind.

    Raises:
      OSError: a folder could not be made or a temporary file written; nothing was replaced.
    """
    staged: list[tuple[str, Path]] = []
    made: list[Path] = []  # folders made here, removed again if the write fails
    path = None
    try:
        for path, data in files.items():
            path = Path(path)
            made += _make_folder(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            _fill(fd, tmp, data)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException as error:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(error, OSError) and path is not None:
            error.filename = str(path)  # the file meant, not its temporary name
        raise


def _make_folder(folder: Path) -> list[Path]:
    """Makes folder and its missing parents; returns those it made, outermost first."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def unwritable(folder: Path, *, not_writable: str = "{folder} is not writable") -> str | None:
    """Why no file could be made in folder (made first if missing), checked before any work; None if one can.

    The walk goes down from the root to the deepest path that exists: a folder on the way this
    process may not open, a file there, or a last folder it may not write, is the reason.
    not_writable words the last, with {folder} for that folder.
    """
    path = Path(folder).absolute()
    existing = Path(path.anchor)
    for step in [*reversed(path.parents), path][1:]:
        try:
            if not step.exists():
                break
        except PermissionError:
            return f"the folder {existing} cannot be opened (permissions)"
        if not step.is_dir():
            return f"{step} is a file, not a folder"
        existing = step
    if not os.access(existing, os.W_OK | os.X_OK):
        return not_writable.format(folder=existing)
    return None


def cannot_write(error: OSError, path: Path | None = None) -> str:
    """One line naming the path and the cause of a failed write: 'cannot write r/a.png: No space left on device'."""
    where = path if path is not None else (error.filename or "a file")
    return f"cannot write {where}: {error.strerror or error}"
