"""The SQLite store's files are its user's alone: the database, its `-wal`/`-shm` and the daemon lock are 0600.

The store holds Asana handshake secrets in plain text, so no other local user may read it, whatever the
umask. syncd creates the database file itself, 0600, before SQLite first opens it: SQLite's unix VFS
then gives the `-wal`, `-shm` and `-journal` files it creates the database file's own permission bits
(and fchmods them, so the umask does not matter either). That is race-free, unlike the alternatives:
a umask set around the first connect is process-wide and would leak into the daemon's other threads,
and a chmod in a `connect` event leaves each new file readable until it runs. Files left from an older
syncd are tightened once, with a warning saying so.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import structlog

from syncd.store.errors import StoreError

log = structlog.get_logger("syncd.store")

#: Read and write for the owner, nothing for group and others.
OWNER_ONLY = 0o600
#: What SQLite keeps beside the database file; it reuses one left over as it is.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def prepare_sqlite_file(database: Path) -> None:
    """Before SQLite opens `database`: create it 0600 if it is missing, and tighten it and any `-wal`,
    `-shm` or `-journal` left beside it to 0600 if group or others may use them. Raises `StoreError`."""
    os.close(open_private_file(database, "store file", os.O_RDONLY, follow=True))
    for suffix in SIDE_SUFFIXES:
        side = database.with_name(database.name + suffix)
        try:
            descriptor = os.open(side, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise _open_error(side, "store file", error) from None
        try:
            _check_regular(descriptor, side, "store file")
            tighten(descriptor, side, "store file")
        finally:
            os.close(descriptor)


def open_private_file(path: Path, what: str, flags: int, *, follow: bool, owned: bool = False) -> int:
    """A descriptor of the regular file `path` opened with `flags`: created exclusively and 0600 when
    missing, else opened as it is (through a symbolic link only with `follow`, and only if this user
    owns it with `owned`) and tightened to 0600. Raises `StoreError` naming `path` as `what`."""
    # O_NONBLOCK: opening a planted FIFO must fail the regular-file check, not hang; regular files ignore it.
    existing = flags | os.O_CLOEXEC | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    for _ in range(3):  # the file may vanish between the two opens (another process cleaning up)
        try:
            descriptor = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, OWNER_ONLY)
        except FileExistsError:
            pass
        except OSError as error:
            raise _open_error(path, what, error) from None
        else:
            os.fchmod(descriptor, OWNER_ONLY)  # the umask may have taken the owner's write bit
            return descriptor
        try:
            descriptor = os.open(path, existing)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise _open_error(path, what, error) from None
        try:
            _check_regular(descriptor, path, what)
            if owned:
                _check_owner(descriptor, path, what)
            tighten(descriptor, path, what)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor
    raise StoreError(f"cannot open the {what} {path}: it is a link to a missing file, or keeps disappearing")


def tighten(descriptor: int, path: Path, what: str) -> None:
    """Make the open file 0600 if group or others have any permission on it, and log that once."""
    mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
    if not mode & 0o077:
        return
    try:
        os.fchmod(descriptor, OWNER_ONLY)
    except PermissionError:
        raise StoreError(
            f"the {what} {path} is open to other users (mode {mode:04o}) and syncd may not change that "
            f"(not its owner): run `chmod 600 {path}` as its owner"
        ) from None
    log.warning("store.file_mode_tightened", path=str(path), mode=f"{mode:04o}")


def _check_regular(descriptor: int, path: Path, what: str) -> None:
    """A FIFO, device or socket at a store path is someone else's doing: refuse it."""
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        raise StoreError(f"the {what} {path} is not a regular file; remove it")


def _check_owner(descriptor: int, path: Path, what: str) -> None:
    """A file another user owns could be held or read by them: it is not ours to reuse."""
    owner, user = os.fstat(descriptor).st_uid, os.geteuid()
    if owner != user:
        raise StoreError(f"the {what} {path} belongs to uid {owner}, not to this user (uid {user}); remove it")


def _open_error(path: Path, what: str, error: OSError) -> StoreError:
    """One line for a failed open: a link (O_NOFOLLOW), a directory, or the system's reason."""
    if error.errno == errno.ELOOP:
        return StoreError(f"the {what} {path} is a symbolic link; syncd does not write through links: remove it")
    if error.errno == errno.EISDIR:
        return StoreError(f"the {what} {path} is not a regular file; remove it")
    return StoreError(f"cannot open the {what} {path}: {error.strerror}")
