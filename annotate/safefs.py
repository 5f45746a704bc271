"""Opening project files without leaving the project: every read and write of a file that may come from
someone else goes through here (no pydantic, no YAML: the commands that only list and remember import this alone).

A path is opened one component at a time from the project root with ``O_NOFOLLOW``: reads follow
symbolic links only while they stay inside the project, writes never; what leads outside is
refused (:class:`RefusedPath`) and never opened. Writes are atomic (a temporary file in the same
folder, fsync'd, renamed over). :mod:`annotate.store` re-exports all of it.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import stat
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

from .errors import AnnotateError

# --------------------------------------------------------------------------- inside the project


class RefusedPath(AnnotateError):
    """A path the project's content leads to that is refused, never opened: one outside the project root,
    or a write that would go through a symbolic link."""


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


class _SymlinkOnTheWay(Exception):
    """A component of a path is a symbolic link (the walk that met it does not follow links)."""


def parts_under(root: Path, path: str | Path) -> list[str] | None:
    """The components of ``path`` below ``root``, ``..`` folded lexically (no link followed); None if not below."""
    full = os.path.normpath(os.path.join(root, os.fspath(path)))
    rel = os.path.relpath(full, root)
    if rel == os.curdir:
        return []
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.split(os.sep)


def outside_reason(root: Path, path: str | Path) -> str | None:
    """Why ``path`` leads outside ``root`` (a symbolic link on the way out, or not below it at all), else None.

    ``root`` must be resolved (no links in it). The answer is for this moment; the opening
    functions below do not rely on it: they refuse a link out at the moment they open.
    """
    parts = parts_under(root, path)
    if parts is None:
        return f"is outside the project ({root})"
    real = os.path.realpath(os.path.join(root, *parts))
    if parts_under(root, real) is None:
        return f"leads outside the project through a symbolic link (to {real}); refused"
    return None


def _step(dfd: int, name: str, create: bool) -> int:
    """Open the folder ``name`` in the folder ``dfd`` without following a link (made when ``create``)."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dfd)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=dfd)
        return _step(dfd, name, False)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(dfd, name):
            raise _SymlinkOnTheWay(name) from None
        raise


def _is_link(dfd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _walk(root: Path, parts: list[str], create: bool) -> int:
    """An open descriptor of the folder ``root/parts...``, reached without following any link."""
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        for name in parts:
            nxt = _step(dfd, name, create)
            os.close(dfd)
            dfd = nxt
    except BaseException:
        os.close(dfd)
        raise
    return dfd


def _open_at(dfd: int, name: str, flags: int, mode: int) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW | _CLOEXEC, mode, dir_fd=dfd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EEXIST, errno.ENOTDIR) and _is_link(dfd, name):
            raise _SymlinkOnTheWay(name) from None
        raise


def _inside(root: Path, path: str | Path, attempt: Callable[[list[str]], int], writing: bool) -> int:
    """Run ``attempt`` on ``path``'s components below ``root``. Where a link is met: for reading, on the
    link's target when that stays inside ``root``; else (outside, or ``writing``) refuse.

    Every attempt walks from ``root`` without following links, so what is opened is inside the
    project at the moment it is opened: a link made between the check and the opening (a race) is
    met by the walk and refused, never followed. Writes never go through a link at all: a link
    inside the project could otherwise make a lock or a journal overwrite a source.
    """
    parts = parts_under(root, path)
    if parts is None:
        raise RefusedPath(f"is outside the project ({root}); refused", path)
    shown = "/".join(parts)
    try:
        return attempt(parts)
    except _SymlinkOnTheWay:
        pass
    except OSError as exc:
        raise _named(exc, path) from None
    real = os.path.realpath(os.path.join(root, *parts))
    target = parts_under(root, real)
    if target is None:
        raise RefusedPath(f"leads outside the project through a symbolic link (to {real}); refused:"
                          " annotate reads and writes nothing outside the project", shown)
    if writing:
        raise RefusedPath(f"is reached through a symbolic link (to {real}); refused: annotate writes nothing"
                          " through a link", shown)
    try:
        return attempt(target)
    except _SymlinkOnTheWay:
        raise RefusedPath("a symbolic link appeared on the way while it was being opened; refused", shown) from None
    except OSError as exc:
        raise _named(exc, path) from None


def _named(exc: OSError, path: str | Path) -> OSError:
    """The same error, naming the whole path rather than the one component it met."""
    return type(exc)(exc.errno, exc.strerror, os.fspath(path))


_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def open_inside(root: Path, path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644,
                make_folders: bool = False) -> int:
    """``os.open`` of a file of the project, refusing any way out of ``root`` (:class:`RefusedPath`).

    For reading, a symbolic link on the way is followed only when its target is inside the
    project too; for writing (any of ``O_WRONLY``, ``O_RDWR``, ``O_CREAT``...) never.
    ``make_folders`` creates the folders on the way (inside the project only).
    """

    def attempt(parts: list[str]) -> int:
        if not parts:
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        dfd = _walk(root, parts[:-1], make_folders)
        try:
            return _open_at(dfd, parts[-1], flags, mode)
        finally:
            os.close(dfd)

    return _inside(root, path, attempt, writing=bool(flags & _WRITING))


def open_folder_inside(root: Path, path: str | Path, make: bool = False, writing: bool = True) -> int:
    """An open descriptor of a folder of the project (made with its parents when ``make``), never outside ``root``.

    ``writing`` (the default: a folder is opened to change what it holds): reached through no link at all.
    """
    return _inside(root, path, lambda parts: _walk(root, parts, make), writing)


def _open_folder(path: Path, root: Path | None, make: bool) -> int:
    if root is not None:
        return open_folder_inside(root, path, make, writing=True)
    if make:
        path.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)


def unlink_inside(root: Path | None, path: Path) -> None:
    """Delete a file of the project (never one outside it; a link is removed, not its target)."""
    if root is None:
        path.unlink()
        return
    dfd = open_folder_inside(root, path.parent)
    try:
        os.unlink(path.name, dir_fd=dfd)
    finally:
        os.close(dfd)



def read_file(path: Path, what: str, where: str, missing: str | None = None, root: Path | None = None) -> bytes:
    """The bytes of a file; missing or unreadable is an error naming it (``what``: "source", "label file"...).

    With ``root`` (the project root) the file is project content: one that leads outside
    the project is refused (:class:`RefusedPath`) and never opened.
    """
    try:
        if root is None:
            return path.read_bytes()
        with open(open_inside(root, path), "rb") as fh:
            return fh.read()
    except RefusedPath as exc:
        raise RefusedPath(exc.message, where) from None
    except FileNotFoundError:
        raise AnnotateError(missing or f"{what} not found", where) from None
    except IsADirectoryError:
        raise AnnotateError(f"{what} is a folder, not a file", where) from None
    except OSError as exc:
        raise AnnotateError(f"cannot read {what}: {exc.strerror}", where) from None


def read_if_there(path: Path, root: Path | None) -> bytes | None:
    """The bytes of a file, or None when there is none; with ``root`` never one outside the project.

    Other errors propagate: OSError, and :class:`RefusedPath` for a link out.
    """
    try:
        if root is None:
            return path.read_bytes()
        with open(open_inside(root, path), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def read_cache(path: Path, root: Path | None) -> bytes | None:
    """The bytes of a cache file of the project, or None when it cannot be had (missing, unreadable, a link out)."""
    try:
        return read_file(path, "cache", str(path), root=root)
    except AnnotateError:
        return None


def write_cache(path: Path, data: bytes, root: Path | None) -> None:
    """Write a cache file of the project, best effort: a read-only project or a link out means no cache."""
    with contextlib.suppress(OSError, AnnotateError):
        atomic_write(path, data, root=root)


def atomic_write(path: Path, data: bytes, root: Path | None = None, sync_folder: bool = True,
                 mode: int | None = None) -> None:
    """Write ``data`` to ``path`` durably: temp file beside it, flush, fsync, rename, fsync the folder.

    ``sync_folder=False`` leaves the folder's fsync to the caller (who writes many files
    into a few folders and fsyncs each folder once at the end: ``annotate import``).
    ``mode``: the new file's permissions (default: the old file's, else the umask's); the temp
    file is created 0600 and only then given them, so a private file is never readable by others.

    On any error the old file is untouched and the temp file removed; the OSError propagates.
    With ``root`` (the project root) the folder is reached without leaving the project
    (:class:`RefusedPath` otherwise) and the temp file, the rename and the fsync all
    happen in that very folder (by descriptor): a link swapped in meanwhile is never followed.
    A link at ``path`` itself is replaced by the new file, never written through.
    """
    dfd = _open_folder(path.parent, root, make=True)
    try:
        tmp, fd = _new_temp(dfd, path.name)
        try:
            os.fchmod(fd, _mode_of(dfd, path.name) if mode is None else mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        if sync_folder:
            with contextlib.suppress(OSError):  # pragma: no cover - folders that cannot be fsynced
                os.fsync(dfd)
    except OSError as exc:
        raise _named(exc, path) from None
    finally:
        os.close(dfd)


def _new_temp(dfd: int, name: str) -> tuple[str, int]:
    """A new temp file ``.<name>.<random>.tmp`` in the folder ``dfd``: its name and a descriptor open for writing."""
    while True:
        tmp = f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600,
                                dir_fd=dfd)
        except FileExistsError:  # pragma: no cover - 32 random bits taken
            continue


def _mode_of(dfd: int, name: str) -> int:
    """The permission bits of the file being replaced (a regular file, not a link), else the umask's default."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return st.st_mode & 0o777
    return 0o666 & ~_UMASK


def remove_stale_temps(path: Path, root: Path | None = None) -> int:
    """Delete temp files :func:`atomic_write` left beside ``path`` when its process was killed mid-write.

    Call only while holding the file's lock (no live writer then); returns how many were removed.
    With ``root``, only in a folder inside the project.
    """
    try:
        dfd = _open_folder(path.parent, root, make=False)
    except (OSError, RefusedPath):
        return 0
    removed = 0
    pattern = f".{glob.escape(path.name)}.*.tmp"
    try:
        for name in os.listdir(dfd):
            if fnmatch(name, pattern):
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=dfd)
                    removed += 1
    finally:
        os.close(dfd)
    return removed


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def fsync_dir(path: Path) -> None:
    """fsync a folder so a rename in it is durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
