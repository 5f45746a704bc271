"""Accounts of annotate serve: hashed secrets, one-time links, the private file, sessions, the login slow-down, CLI."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.serve import accounts as acc
from annotate.serve.accounts import AccountStore, hash_secret, split_token, verify_secret
from annotate.serve.auth import Sessions, Throttle
from annotate.store import Project


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), *args])


# --------------------------------------------------------------------------- hashing


def test_a_secret_is_stored_as_a_salted_scrypt_hash() -> None:
    stored = hash_secret("correct horse")
    assert stored.startswith("scrypt$32768$8$1$") and "correct horse" not in stored
    assert hash_secret("correct horse") != stored  # a fresh salt every time
    assert verify_secret("correct horse", stored)
    assert not verify_secret("correct horsf", stored)


@pytest.mark.parametrize("stored", [None, "", "plain", "scrypt$1$8$1$AAAA$AAAA", "scrypt$32768$8$1$!!$??",
                                    "scrypt$1048576$8$1$" + "A" * 22 + "$" + "A" * 43, "md5$x"])
def test_a_missing_or_malformed_hash_never_verifies(stored: str | None) -> None:
    assert not verify_secret("anything", stored)


def test_a_token_has_an_id_and_a_secret() -> None:
    assert split_token("0123456789ab.secret") == ("0123456789ab", "secret")
    for bad in ("", "nodot", ".secret", "short.secret", "0123456789ab.", "0123456789ab." + "x" * 200):
        assert split_token(bad) is None


# --------------------------------------------------------------------------- the store


def test_add_creates_a_private_file_that_git_ignores(project: Project) -> None:
    issued = AccountStore(project.root).add("alice", "annotator")
    path = project.root / ".annotate" / "accounts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (project.root / ".annotate" / ".gitignore").read_text().splitlines()[-1] == "*"
    text = path.read_text()
    assert issued.token.split(".")[1] not in text  # only the hash is stored
    record = json.loads(text)["accounts"]["alice"]
    assert record["role"] == "annotator" and record["password"] is None and record["link"]["hash"].startswith("scrypt$")


def test_a_link_sets_the_password_once(project: Project) -> None:
    store = AccountStore(project.root)
    issued = store.add("alice", "reviewer")
    assert store.link_owner(issued.token) == "alice"
    assert store.use_link(issued.token, "short") is None  # too short: the link stays valid
    account = store.use_link(issued.token, "correct horse")
    assert account is not None and account.role == "reviewer" and account.password_set
    assert store.use_link(issued.token, "another password") is None  # used up
    assert store.link_owner(issued.token) is None
    assert store.login("alice", "correct horse") == account
    assert store.login("alice", "wrong password") is None
    assert store.login("nobody", "correct horse") is None


def test_wrong_expired_and_removed_links_are_refused(project: Project) -> None:
    store = AccountStore(project.root)
    good = store.add("alice", "annotator")
    link_id, secret = good.token.split(".")
    assert store.link_owner(f"{link_id}.{secret[:-1]}x") is None
    assert store.link_owner(f"ffffffffffff.{secret}") is None
    assert store.link_owner("garbage") is None
    expired = store.add("bob", "annotator", hours=-1)
    assert store.link_owner(expired.token) is None and store.use_link(expired.token, "correct horse") is None
    store.remove("alice")
    assert store.use_link(good.token, "correct horse") is None


def test_a_new_link_replaces_the_old_and_keeps_the_password_until_used(project: Project) -> None:
    store = AccountStore(project.root)
    first = store.add("alice", "annotator")
    store.use_link(first.token, "first password")
    second = store.new_link("alice")
    assert store.login("alice", "first password") is not None
    before = store.current()["alice"].stamp
    store.use_link(second.token, "second password")
    assert store.login("alice", "first password") is None
    assert store.current()["alice"].stamp != before  # the sessions of the old password end


def test_names_are_annotator_names(project: Project) -> None:
    store = AccountStore(project.root)
    for bad in ("Alice", "../bob", "gold", "a b", "", "x" * 65, "_suggestions", "-x"):
        with pytest.raises(AnnotateError):
            store.add(bad, "annotator")
    store.add("alice", "annotator")
    with pytest.raises(AnnotateError, match="exists already"):
        store.add("alice", "reviewer")
    assert not (project.root / "labels").exists()


def test_the_file_is_never_read_through_a_symlink(project: Project, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere.json"
    secret.write_text(json.dumps({"version": 1, "accounts": {}}))
    (project.root / ".annotate").mkdir()
    (project.root / ".annotate" / "accounts.json").symlink_to(secret)
    store = AccountStore(project.root)
    with pytest.raises(AnnotateError, match="symbolic link"):
        store.read()
    with pytest.raises(AnnotateError, match="symbolic link"):
        store.add("alice", "annotator")
    assert json.loads(secret.read_text()) == {"version": 1, "accounts": {}}


def test_a_file_others_may_read_is_refused(project: Project) -> None:
    """A file that came through git (checked out 0644) is not one annotate users made: nobody logs in with it."""
    store = AccountStore(project.root)
    store.add("alice", "annotator")
    store.path.chmod(0o644)
    with pytest.raises(AnnotateError, match="others may read it"):
        store.read()
    result = run(project, "users", "list")
    assert result.exit_code == 2 and "chmod 600" in result.stderr


def test_a_link_inside_the_project_is_not_followed_either(project: Project) -> None:
    store = AccountStore(project.root)
    store.add("alice", "annotator")
    decoy = project.root / "labels" / "accounts.json"
    decoy.parent.mkdir()
    decoy.write_bytes(store.path.read_bytes())
    decoy.chmod(0o600)
    store.path.unlink()
    store.path.symlink_to(decoy)
    with pytest.raises(AnnotateError, match="symbolic link"):
        store.read()


def test_the_folder_is_never_a_symlink(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / ".annotate").symlink_to(outside)
    with pytest.raises(AnnotateError, match="symbolic link"):
        AccountStore(project.root).add("alice", "annotator")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("content, where", [
    (b"{not json", ".annotate/accounts.json:1"),
    (b'{"version": 2, "accounts": {}}', "version"),
    (b'{"version": 1, "accounts": {"Alice": {"role": "annotator", "created": "2024-01-01T00:00:00Z"}}}', "Alice"),
    (b'{"version": 1, "accounts": {"a": {"role": "admin", "created": "2024-01-01T00:00:00Z"}}}', "role"),
    (b"\xff\xfe", ".annotate/accounts.json"),
])
def test_a_broken_file_is_one_line_and_never_overwritten(project: Project, content: bytes, where: str) -> None:
    (project.root / ".annotate").mkdir()
    path = project.root / ".annotate" / "accounts.json"
    path.write_bytes(content)
    path.chmod(0o600)  # as annotate users made it, then damaged by hand
    result = run(project, "users", "add", "bob")
    assert result.exit_code == 2 and where in result.stderr and len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == content


def test_current_rereads_only_a_changed_file(project: Project) -> None:
    store = AccountStore(project.root)
    assert store.current() == {}
    AccountStore(project.root).add("alice", "annotator")  # another process (the CLI)
    assert list(store.current()) == ["alice"]
    AccountStore(project.root).remove("alice")
    assert store.current() == {}


# --------------------------------------------------------------------------- sessions


def test_sessions_end_when_idle_old_removed_or_the_password_changes(project: Project) -> None:
    store = AccountStore(project.root)
    store.use_link(store.add("alice", "annotator").token, "correct horse")
    clock = Clock()
    sessions = Sessions(idle=60, lifetime=300, clock=clock)
    accounts = store.current()
    cookie = sessions.start(accounts["alice"])
    assert cookie not in json.dumps(list(sessions.table))  # the table keeps hashes only
    assert sessions.find(cookie, accounts) is not None
    assert sessions.find("forged", accounts) is None and sessions.find(None, accounts) is None
    for _ in range(5):  # in use: stays up to its lifetime
        clock.now += 50
        assert sessions.find(cookie, accounts) is not None
    clock.now += 60
    assert sessions.find(cookie, accounts) is None  # older than its lifetime
    cookie = sessions.start(accounts["alice"])
    clock.now += 61
    assert sessions.find(cookie, accounts) is None  # idle
    cookie = sessions.start(accounts["alice"])
    store.use_link(store.new_link("alice").token, "new password")
    assert [s.name for s in sessions.prune(store.current())] == ["alice"]
    assert sessions.find(cookie, store.current()) is None
    cookie = sessions.start(store.current()["alice"])
    store.remove("alice")
    assert sessions.find(cookie, store.current()) is None
    cookie = sessions.start(accounts["alice"])
    assert sessions.end(cookie) is not None and sessions.find(cookie, accounts) is None


# --------------------------------------------------------------------------- the slow-down


def test_failures_double_the_wait_up_to_a_cap() -> None:
    clock = Clock()
    throttle = Throttle(free=3, base=1.0, cap=30.0, forget=600.0, clock=clock)
    waits = []
    for _ in range(12):
        throttle.failed("account:alice")
        waits.append(throttle.wait("account:alice"))
    assert waits[:2] == [0.0, 0.0]  # three attempts go unhindered
    assert waits[2:7] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert max(waits) == 30.0  # never locked out longer than the cap
    clock.now += 30
    assert throttle.wait("account:alice") == 0.0
    throttle.succeeded("account:alice")
    throttle.failed("account:alice")
    assert throttle.wait("account:alice") == 0.0


def test_failures_are_forgotten_after_a_quiet_while() -> None:
    clock = Clock()
    throttle = Throttle(free=2, base=10.0, cap=100.0, forget=600.0, clock=clock)
    for _ in range(4):
        throttle.failed("address:10.0.0.1")
    assert throttle.wait("address:10.0.0.1") > 0
    assert throttle.wait("address:10.0.0.2") == 0.0
    clock.now += 600
    throttle.failed("address:10.0.0.1")
    assert throttle.wait("address:10.0.0.1") == 0.0  # counting starts over


def test_the_table_of_failures_stays_bounded() -> None:
    throttle = Throttle(limit=100, clock=Clock())
    for n in range(1000):
        throttle.failed(f"address:{n}")
    assert len(throttle.failures) <= 100


# --------------------------------------------------------------------------- the CLI


def test_users_add_prints_a_link_list_shows_it_remove_deletes(project: Project) -> None:
    result = run(project, "users", "add", "alice", "--role", "reviewer", "--public-url", "https://a.example.org/")
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://a.example.org/login/") and "\n" not in link
    assert "alice (reviewer)" in result.stderr and "valid once" in result.stderr
    token = link.rsplit("/", 1)[1]
    assert AccountStore(project.root).link_owner(token) == "alice"
    listed = run(project, "users", "list")
    assert listed.exit_code == 0 and listed.stdout.split()[:5] == ["alice", "reviewer", "no", "password", "yet"]
    rows = json.loads(run(project, "users", "list", "--json").stdout)
    assert rows[0]["name"] == "alice" and rows[0]["password"] is False and rows[0]["link_expires"]
    new = run(project, "users", "link", "alice")
    assert new.exit_code == 0 and new.stdout.startswith("http://127.0.0.1:8000/login/")
    assert AccountStore(project.root).link_owner(token) is None  # the old link stops working
    removed = run(project, "users", "remove", "alice")
    assert removed.exit_code == 0 and "labels stay" in removed.stderr
    assert json.loads(run(project, "users", "list", "--json").stdout) == []


@pytest.mark.parametrize("args, needle", [
    (("users", "add", "Alice"), "account name 'Alice'"),
    (("users", "add", "gold"), "reserved"),
    (("users", "remove", "nobody"), "no account 'nobody'"),
    (("users", "link", "nobody"), "no account 'nobody'"),
])
def test_users_errors_are_one_line(project: Project, args: tuple[str, ...], needle: str) -> None:
    result = run(project, *args)
    assert result.exit_code == 2 and result.stderr.startswith("annotate: ") and needle in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_users_does_not_import_the_screens_or_the_server(project: Project) -> None:
    import subprocess
    import sys

    code = ("import sys; from annotate.cli import main\n"
            "try: main(['--root', sys.argv[1], 'users', 'list'])\n"
            "except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'aiohttp', 'textual_serve')))")
    out = subprocess.run([sys.executable, "-c", code, str(project.root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_serve_refuses_options_that_cannot_work(project: Project) -> None:
    for args, needle in [(("--host", "0.0.0.0"), "needs --public-url"),
                         (("--public-url", "https://x.example.org/annotate"), "without a path"),
                         (("--public-url", "ftp://x"), "must be http(s)"),
                         (("--port", "70000"), "not a port")]:
        result = run(project, "serve", *args)
        assert result.exit_code == 2 and needle in result.stderr, result.output


def test_the_network_warning() -> None:
    from annotate.serve.server import ServeOptions, network_warning

    root = Path("/tmp")
    assert network_warning(ServeOptions(root)) is None
    assert network_warning(ServeOptions(root, host="::1")) is None
    assert "without https" in (network_warning(ServeOptions(root, host="0.0.0.0", public_url="http://x:8000")) or "")
    assert network_warning(ServeOptions(root, host="0.0.0.0", public_url="https://x.example.org")) is None


# --------------------------------------------------------------------------- the browser's messages


@given(st.text(max_size=200) | st.from_regex(r'\["(stdin|resize|ping|focus|blur|x)", .{0,40}\]', fullmatch=True))
def test_any_browser_message_is_dropped_or_made_safe(text: str) -> None:
    from annotate.serve.sessions import MAX_COLS, MAX_ROWS, MIN_COLS, MIN_ROWS, checked_envelope

    envelope = checked_envelope(text)
    if envelope is None:
        return
    kind = envelope[0]
    assert kind in ("stdin", "resize", "ping", "focus", "blur")
    if kind == "resize":
        size = envelope[1]
        assert set(size) == {"width", "height"}
        assert MIN_COLS <= size["width"] <= MAX_COLS and MIN_ROWS <= size["height"] <= MAX_ROWS
    if kind == "stdin":
        assert isinstance(envelope[1], str) and envelope[1]


def test_resizes_are_clamped() -> None:
    from annotate.serve.sessions import checked_envelope

    assert checked_envelope('["resize", {"width": 0, "height": 0}]') == ["resize", {"width": 20, "height": 6}]
    assert checked_envelope('["resize", {"width": 1e9, "height": true}]') == ["resize", {"width": 80, "height": 24}]
    assert checked_envelope('["resize", {"width": 99999, "height": 99999}]') == ["resize",
                                                                                 {"width": 1000, "height": 400}]


def test_the_session_command_comes_from_the_account_only(tmp_path: Path) -> None:
    from annotate.serve.sessions import session_command

    argv = session_command(tmp_path, "alice", "annotator")
    assert argv[1:3] == ["-P", "-m"]  # the project folder never shadows a module
    assert argv[argv.index("--annotator") + 1] == "alice" and argv[argv.index("--role") + 1] == "annotator"
    assert argv[argv.index("--root") + 1] == str(tmp_path)


def test_link_expiry_is_stored_in_utc(project: Project) -> None:
    issued = AccountStore(project.root).add("alice", "annotator", hours=2)
    assert issued.expires.utcoffset() == timedelta(0)
    assert os.path.exists(project.root / acc.ACCOUNTS_FILE)


def test_serve_without_the_serve_extra_says_how_to_get_it(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "annotate.serve.server", raising=False)
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    result = run(project, "serve")
    assert result.exit_code == 2 and "pip install 'annotate[serve]'" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_serve_on_a_port_in_use_is_one_line(project: Project) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "annotate", "--root", str(project.root), "serve", "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        "annotate: no accounts yet: annotate users add NAME prints a login link",
        f"annotate: cannot listen on 127.0.0.1:{port}: Address already in use"]
