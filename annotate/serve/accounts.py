"""Accounts of ``annotate serve``: names, roles, hashed passwords and one-time login links, in a private file."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import AnnotateError
from ..models import ANNOTATOR_PATTERN, GOLD, is_valid_annotator
from ..store import atomic_write, open_inside

ACCOUNTS_DIR = ".annotate"
"""The tool's own folder under the project root (git-ignored; it also gets a ``.gitignore`` of its own)."""
ACCOUNTS_FILE = f"{ACCOUNTS_DIR}/accounts.json"
"""Where the accounts live, relative to the project root."""

Role = Literal["annotator", "reviewer"]
ROLES: tuple[Role, ...] = ("annotator", "reviewer")
"""annotator: labels documents; reviewer: labels and also reviews (decides gold labels)."""

LINK_HOURS = 72
"""How long a login link stays valid by default."""
MIN_PASSWORD = 8
"""Shortest password accepted (no other rules: length is what makes a password strong)."""
MAX_PASSWORD = 1024
"""Longest password accepted (bounds the work of hashing what a stranger sends)."""
MAX_NAME = 64
"""Longest account name."""
MAX_FILE_BYTES = 4 * 1024 * 1024
"""An accounts file larger than this is refused unread."""

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
"""scrypt cost of a new hash: 32 MiB and about 65 ms here; the parameters are stored with each hash."""


# --------------------------------------------------------------------------- hashing


def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` of a secret, with a fresh random salt (base64 without padding)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """True when ``secret`` hashes to ``stored``; compared in constant time.

    A missing or malformed ``stored`` still costs one hash, so a stranger cannot tell an
    unknown name from a wrong password by the time the answer takes.
    """
    params = _parse_hash(stored) if stored else None
    if params is None:
        _scrypt(secret, b"0" * 16, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    n, r, p, salt, digest = params
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p, len(digest)), digest)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    data = secret.encode("utf-8", "surrogatepass")
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p + 2**20, dklen=length)


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The parts of a stored hash, or None when it is not one this module wrote (or its cost is absurd)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    sane = 2 <= n <= 2**18 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4
    return (n, r, p, salt, digest) if sane and len(salt) >= 8 and 16 <= len(digest) <= 64 else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc


# --------------------------------------------------------------------------- the file's form


class LinkRecord(BaseModel):
    """A one-time login link: its public id, the hash of its secret, when it expires."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    hash: str
    expires: datetime


class AccountRecord(BaseModel):
    """One account as stored: role, password hash (None until the login link is used), pending link."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    created: datetime
    password: str | None = None
    link: LinkRecord | None = None


class AccountsFile(BaseModel):
    """The accounts file (``.annotate/accounts.json``), version 1."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    accounts: dict[str, AccountRecord] = Field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    """An account as the server sees it: name, role and a stamp that changes with the password."""

    name: str
    role: Role
    password_set: bool
    stamp: str

    @classmethod
    def of(cls, name: str, record: AccountRecord) -> Account:
        """The account of a stored record."""
        stamp = hashlib.sha256((record.password or "").encode()).hexdigest()[:16]
        return cls(name, record.role, record.password is not None, stamp)


def check_name(name: str) -> str:
    """``name`` when it can be an account (and so an annotator) name; else an error saying why."""
    if not is_valid_annotator(name) or len(name) > MAX_NAME:
        raise AnnotateError(f"account name {name!r} must match {ANNOTATOR_PATTERN} (at most {MAX_NAME} characters):"
                            " lower case letters, digits, '.', '_' or '-'")
    if name == GOLD:
        raise AnnotateError("account name 'gold' is reserved for the adjudicated labels")
    return name


def check_password(password: str) -> str | None:
    """Why ``password`` is refused, or None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password may have at most {MAX_PASSWORD} characters"
    return None


def split_token(token: str) -> tuple[str, str] | None:
    """A login link's token ``ID.SECRET`` as its two parts, or None when it has not that form."""
    link_id, dot, secret = token.partition(".")
    if not dot or len(link_id) != 12 or not secret or len(secret) > 128:
        return None
    return link_id, secret


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Issued:
    """A login link just made: the token to put in the URL (shown once, never stored) and its expiry."""

    token: str
    expires: datetime


class AccountStore:
    """The accounts file of a project, read and changed under a lock, never through a symbolic link.

    The file is created with mode 0600 and replaced atomically; its folder ``.annotate/`` must be
    a real folder inside the project (a symbolic link is refused) and gets a ``.gitignore`` of ``*``
    so the file never reaches git, whatever the project's own ``.gitignore`` says.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.folder = self.root / ACCOUNTS_DIR
        self.path = self.root / ACCOUNTS_FILE
        self._seen: tuple[int, int, int] | None = None
        self._cached: AccountsFile = AccountsFile()

    # ----------------------------------------------------------------- reading

    def read(self) -> AccountsFile:
        """The file as it is now (an empty one when it does not exist).

        Refused unread: a file reached through a symbolic link (even one inside the project), a
        file others may read (git checks files out 0644: one that came through git is not ours),
        anything but a regular file, a file over ``MAX_FILE_BYTES``.
        """
        try:
            fd = open_inside(self.root, ACCOUNTS_FILE)  # never outside the project
        except FileNotFoundError:
            return AccountsFile()
        with os.fdopen(fd, "rb") as fh:
            self._check_opened(os.fstat(fh.fileno()))
            raw = fh.read(MAX_FILE_BYTES + 1)
        return self._parse(raw)

    def _check_opened(self, info: os.stat_result) -> None:
        named = os.stat(self.path, follow_symlinks=False)
        if stat.S_ISLNK(named.st_mode) or (named.st_dev, named.st_ino) != (info.st_dev, info.st_ino):
            raise AnnotateError("is a symbolic link: refusing to follow it", ACCOUNTS_FILE)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise AnnotateError("not a regular accounts file (or too large): refusing to read it", ACCOUNTS_FILE)
        if info.st_mode & 0o077:
            raise AnnotateError(f"others may read it (mode {stat.S_IMODE(info.st_mode):o}): annotate users makes"
                                " it 0600, so it did not come from there; refusing it (chmod 600 it if it is"
                                " yours)", ACCOUNTS_FILE)

    def _parse(self, raw: bytes) -> AccountsFile:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise AnnotateError(f"not valid JSON ({getattr(exc, 'msg', exc)})", ACCOUNTS_FILE, line) from None
        try:
            parsed = AccountsFile.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise AnnotateError(f"{where}: {first['msg']}", ACCOUNTS_FILE) from None
        for name in parsed.accounts:
            try:
                check_name(name)
            except AnnotateError as exc:
                raise AnnotateError(exc.message, ACCOUNTS_FILE) from None
        return parsed

    def current(self) -> dict[str, Account]:
        """The accounts, read again only when the file changed since the last call (one stat per call)."""
        try:
            info = os.stat(self.path, follow_symlinks=False)
            seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            seen = None
        if seen is None or seen != self._seen:
            self._cached = self.read() if seen is not None else AccountsFile()
            self._seen = seen
        return {name: Account.of(name, rec) for name, rec in self._cached.accounts.items()}

    # ----------------------------------------------------------------- changing

    @contextlib.contextmanager
    def changing(self) -> Iterator[AccountsFile]:
        """Read the file under an exclusive lock, let the caller change it, write it back atomically (0600)."""
        self._make_folder()
        fd = self._open_lock()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = self.read()
            before = data.model_dump(mode="json")
            yield data
            after = data.model_dump(mode="json")
            if after != before:
                text = json.dumps(after, indent=2, sort_keys=True) + "\n"
                atomic_write(self.path, text.encode("utf-8"), root=self.root, mode=0o600)
        finally:
            os.close(fd)

    def add(self, name: str, role: Role, hours: float = LINK_HOURS) -> Issued:
        """Create an account; returns its first login link (the password is chosen on that link's page)."""
        check_name(name)
        with self.changing() as data:
            if name in data.accounts:
                raise AnnotateError(f"account {name!r} exists already (a new login link: annotate users link {name})")
            issued, link = _new_link(hours)
            data.accounts[name] = AccountRecord(role=role, created=_now(), link=link)
        return issued

    def new_link(self, name: str, hours: float = LINK_HOURS) -> Issued:
        """A new one-time login link for an account (the earlier link stops working)."""
        with self.changing() as data:
            record = self._record(data, name)
            issued, record.link = _new_link(hours)
        return issued

    def remove(self, name: str) -> None:
        """Delete an account (its labels stay); a running server ends its sessions within seconds."""
        with self.changing() as data:
            self._record(data, name)
            del data.accounts[name]

    def _record(self, data: AccountsFile, name: str) -> AccountRecord:
        if name not in data.accounts:
            known = ", ".join(sorted(data.accounts)) or "none"
            raise AnnotateError(f"no account {name!r} (accounts: {known})")
        return data.accounts[name]

    # ----------------------------------------------------------------- checking secrets

    def login(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is its password; None otherwise (same cost either way)."""
        record = self.read().accounts.get(name)
        stored = record.password if record is not None else None
        if verify_secret(password[:MAX_PASSWORD], stored) and record is not None:
            return Account.of(name, record)
        return None

    def link_owner(self, token: str) -> str | None:
        """The account name a valid, unexpired, unused login link belongs to (the link is not used up)."""
        found = self._find_link(self.read(), token)
        return found[0] if found else None

    def use_link(self, token: str, password: str) -> Account | None:
        """Use a login link up: set the account's password; None when the link is not (or no longer) valid."""
        if check_password(password) is not None:
            return None
        with self.changing() as data:
            found = self._find_link(data, token)
            if found is None:
                return None
            name, record = found
            record.password = hash_secret(password)
            record.link = None
            return Account.of(name, record)

    @staticmethod
    def _find_link(data: AccountsFile, token: str) -> tuple[str, AccountRecord] | None:
        parts = split_token(token)
        owner = None
        if parts is not None:
            owner = next(((n, r) for n, r in data.accounts.items() if r.link and r.link.id == parts[0]), None)
        secret = parts[1] if parts else token[:128]
        link = owner[1].link if owner else None
        if not verify_secret(secret, link.hash if link else None) or owner is None or link is None:
            return None
        return owner if link.expires > _now() else None

    # ----------------------------------------------------------------- the folder

    def _make_folder(self) -> None:
        """``.annotate/`` (a real folder of the project) with its own ``.gitignore``."""
        with contextlib.suppress(FileExistsError):
            fd = open_inside(self.root, f"{ACCOUNTS_DIR}/.gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o644, make_folders=True)
            with os.fdopen(fd, "w") as fh:
                fh.write("# annotate's own files (caches, accounts): never shared through git\n*\n")

    def _open_lock(self) -> int:
        try:
            return open_inside(self.root, f"{ACCOUNTS_DIR}/accounts.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> AnnotateError:
        import errno

        if exc.errno == errno.ELOOP:
            return AnnotateError("is a symbolic link: refusing to follow it", ACCOUNTS_FILE)
        return AnnotateError(exc.strerror or str(exc), ACCOUNTS_FILE)


def _new_link(hours: float) -> tuple[Issued, LinkRecord]:
    link_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = _now() + timedelta(hours=hours)
    return Issued(f"{link_id}.{secret}", expires), LinkRecord(id=link_id, hash=hash_secret(secret), expires=expires)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def list_accounts(store: AccountStore) -> list[dict[str, object]]:
    """The accounts for ``annotate users list``: name, role, whether a password is set, a pending link."""
    rows = []
    for name, rec in sorted(store.read().accounts.items()):
        link = rec.link
        rows.append({"name": name, "role": rec.role, "password": rec.password is not None,
                     "link_expires": link.expires.isoformat() if link else None,
                     "link_expired": bool(link and link.expires <= _now()), "created": rec.created.isoformat()})
    return rows
