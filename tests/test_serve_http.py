"""annotate serve over HTTP and websockets: who gets in, what is refused, what survives bad input and crashes.

One server (a real ``annotate serve`` process) for the module, with three accounts; tabs are
websockets speaking textual-serve's protocol (``benchmarks/serve_client.py``). Logins that must
fail come from their own client address (X-Forwarded-For, trusted from a proxy on this machine),
so the slow-down they cause does not reach the other tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml
from conftest import REPO, SEED_ID, make_project, run_async

from annotate.reading import current_labels
from annotate.serve.accounts import AccountStore
from annotate.store import Project

sys.path.insert(0, str(REPO / "benchmarks"))
from serve_client import ServerProcess, Tab, add_account, browser, login  # noqa: E402

PASSWORD = "correct horse battery"
ADDRESSES = (f"198.51.100.{n}" for n in itertools.count(1))
"""A fresh client address for each test that fails logins on purpose."""


@dataclass
class Served:
    """The module's server and its project."""

    project: Project
    server: ServerProcess

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("served")
    project = make_project(base / "proj")
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer")):
        add_account(project.root, name, PASSWORD, role)
    server = ServerProcess(project.root, base / "serve.log")
    yield Served(project, server)
    assert server.stop() == 0, (base / "serve.log").read_text()


@contextlib.contextmanager
def broken(path: Path, content: str) -> Iterator[None]:
    """``path`` holds ``content`` for the duration, then its own bytes again."""
    good = path.read_bytes()
    path.write_text(content)
    try:
        yield
    finally:
        path.write_bytes(good)


def files_under(root: Path) -> dict[str, int]:
    """Every file under ``root`` with its size (what 'nothing written' compares)."""
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def labels_of(project: Project, annotator: str) -> list[str | None]:
    """The current labels (YAML + journal) of ``annotator`` on the seed document (none before the first)."""
    if not project.label_path(SEED_ID, annotator).exists():
        return []
    doc = project.document(SEED_ID)
    return [s.label for s in current_labels(project, doc, annotator).labels.sentences]


async def raw_get(url: str, path: str, cookie: str | None = None, host: str | None = None,
                  address: str = "192.0.2.1") -> tuple[int, bytes]:
    """A GET with the path exactly as given (no client normalises it); returns status and body.

    It comes from ``address`` (X-Forwarded-For), so the bad login links among the paths slow
    down that address, not the other tests' logins.
    """
    hostport = url.split("//", 1)[1]
    reader, writer = await asyncio.open_connection(*hostport.split(":"))
    head = f"GET {path} HTTP/1.1\r\nHost: {host or hostport}\r\nConnection: close\r\nX-Forwarded-For: {address}\r\n"
    if cookie:
        head += f"Cookie: annotate_session={cookie}\r\n"
    writer.write((head + "\r\n").encode("latin-1"))
    data = await reader.read()
    writer.close()
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def logged_in(served: Served, name: str = "alice") -> aiohttp.ClientSession:
    http = browser()
    response = await login(http, served.url, name, PASSWORD)
    assert response.status == 303 and response.headers["Location"] == "/"
    return http


async def labeled(project: Project, annotator: str, index: int, label: str, timeout: float = 15.0) -> None:
    """Wait until the sentence ``index`` of the seed document carries ``label`` on disk for ``annotator``."""
    deadline = time.monotonic() + timeout
    while (labels_of(project, annotator) + [None] * (index + 1))[index] != label:
        assert time.monotonic() < deadline, f"{annotator}'s sentence {index + 1} is not {label} on disk"
        await asyncio.sleep(0.05)


async def label_first_sentence(tab: Tab, served: Served, annotator: str, key: str, label: str) -> None:
    """From the home screen: open the document, label its first sentence (on disk), close the tab."""
    await tab.press("\r")
    await tab.wait_for("Sentence ")
    await tab.press("\x1b[H" + key)  # Home: the first sentence
    await labeled(served.project, annotator, 0, label)
    await tab.close()


def cookie_of(http: aiohttp.ClientSession) -> str:
    return next(c.value for c in http.cookie_jar if c.key == "annotate_session")


# --------------------------------------------------------------------------- no session


@run_async
async def test_without_a_session_everything_but_the_login_page_is_refused(served: Served) -> None:
    before = files_under(served.project.root)
    async with browser() as http:
        page = await http.get(served.url + "/", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/login"
        login_page = await http.get(served.url + "/login")
        assert login_page.status == 200 and 'name="password"' in await login_page.text()
        for path in ("/ws", "/download/x", "/anything"):
            assert (await http.get(served.url + path, allow_redirects=False)).status == 401, path
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(served.url + "/ws", origin=served.url)
        assert refused.value.status == 401
        forged = browser()
        forged.cookie_jar.update_cookies({"annotate_session": "forged"}, response_url=aiohttp.client.URL(served.url))
        async with forged:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await forged.ws_connect(served.url + "/ws", origin=served.url)
    assert served.server.children() == []
    assert files_under(served.project.root) == before


@run_async
async def test_every_answer_carries_the_security_headers(served: Served) -> None:
    async with browser() as http:
        for path in ("/login", "/", "/nowhere", "/assets/annotate.js"):
            response = await http.get(served.url + path, allow_redirects=False)
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- logging in


@run_async
async def test_login_sets_a_strict_session_cookie_and_logout_ends_it(served: Served) -> None:
    async with browser() as http:
        response = await login(http, served.url, "alice", PASSWORD)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http on this machine; behind https it is (see the unit test)
        page = await http.get(served.url + "/")
        text = await page.text()
        assert page.status == 200 and "alice · annotator" in text and 'action="/logout"' in text
        value = cookie_of(http)
        refused = await http.post(served.url + "/logout", headers={"Origin": "http://evil.example"},
                                  allow_redirects=False)
        assert refused.status == 403
        out = await http.post(served.url + "/logout", headers={"Origin": served.url}, allow_redirects=False)
        assert out.status == 303 and out.headers["Location"] == "/login"
    status, _ = await raw_get(served.url, "/", cookie=value)
    assert status == 303  # the old cookie is worth nothing now


@run_async
async def test_a_wrong_password_is_refused_slowly_and_never_sets_a_cookie(served: Served) -> None:
    address = next(ADDRESSES)
    async with browser() as http:
        for name, password in (("alice", "wrong password"), ("nobody", PASSWORD), ("", "")):
            started = time.monotonic()
            response = await http.post(served.url + "/login", data={"name": name, "password": password},
                                       headers={"Origin": served.url, "X-Forwarded-For": address},
                                       allow_redirects=False)
            assert response.status == 401 and "Wrong name or password" in await response.text()
            assert time.monotonic() - started >= 0.9
            assert "Set-Cookie" not in response.headers
        cross = await http.post(served.url + "/login", data={"name": "alice", "password": PASSWORD},
                                headers={"Origin": "http://evil.example"}, allow_redirects=False)
        assert cross.status == 403 and "Set-Cookie" not in cross.headers


@run_async
async def test_repeated_failures_slow_the_address_down_even_for_the_right_password(served: Served) -> None:
    address = next(ADDRESSES)
    headers = {"Origin": served.url, "X-Forwarded-For": address}
    async with browser() as http:
        attempts = [http.post(served.url + "/login", data={"name": f"guess{n}", "password": "x" * 8},
                              headers=headers, allow_redirects=False) for n in range(14)]
        statuses = sorted(r.status for r in await asyncio.gather(*attempts))
        assert statuses.count(401) == 10 and statuses.count(429) == 4  # sent at once, they are slowed down too
        for _ in range(3):  # the first ten failures were free, now each doubles the wait
            response = await http.post(served.url + "/login", data={"name": "guess", "password": "x" * 8},
                                       headers=headers, allow_redirects=False)
            if response.status == 429:
                break
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        right = await http.post(served.url + "/login", data={"name": "bob", "password": PASSWORD},
                                headers=headers, allow_redirects=False)
        assert right.status == 429 and "Set-Cookie" not in right.headers
        elsewhere = await login(http, served.url, "bob", PASSWORD)  # another address is not slowed down
        assert elsewhere.status == 303


@run_async
async def test_a_login_link_works_once_and_wrong_or_removed_links_are_refused(served: Served) -> None:
    store = AccountStore(served.project.root)
    issued = store.add("carol", "annotator")
    doomed = store.add("dave", "annotator")
    store.remove("dave")
    address = next(ADDRESSES)
    headers = {"Origin": served.url, "X-Forwarded-For": address}
    link = f"{served.url}/login/{issued.token}"
    async with browser() as http:
        page = await http.get(link)
        assert page.status == 200 and "carol" in await page.text()
        differ = await http.post(link, data={"password": "first password", "again": "other password"},
                                 headers=headers, allow_redirects=False)
        assert differ.status == 400 and "differ" in await differ.text()
        done = await http.post(link, data={"password": "carol's password", "again": "carol's password"},
                               headers=headers, allow_redirects=False)
        assert done.status == 303 and "annotate_session=" in done.headers["Set-Cookie"]
    link_id, secret = issued.token.split(".")
    for token in (issued.token, doomed.token, f"{link_id}.{secret[::-1]}", "nonsense"):
        async with browser() as http:
            again = await http.get(f"{served.url}/login/{token}", headers={"X-Forwarded-For": next(ADDRESSES)})
            assert again.status == 401 and "does not work" in await again.text()
            if token not in (issued.token, doomed.token):
                continue
            used = await http.post(f"{served.url}/login/{token}", data={"password": "x" * 10, "again": "x" * 10},
                                   headers={"Origin": served.url, "X-Forwarded-For": next(ADDRESSES)},
                                   allow_redirects=False)
            assert used.status == 401 and "Set-Cookie" not in used.headers
    assert store.login("carol", "carol's password") is not None
    assert "/login/" + issued.token not in (served.server.log.read_text())  # tokens never reach the log
    store.remove("carol")


def test_the_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    from annotate.serve.accounts import Account
    from annotate.serve.server import AnnotateServer, ServeOptions

    server = AnnotateServer(ServeOptions(tmp_path, public_url="https://annotate.example.org"))
    response = server._logged_in(Account("alice", "annotator", True, "stamp"))
    cookie = response.cookies["annotate_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"


# --------------------------------------------------------------------------- what is reachable

TRAVERSALS = [
    "../../../../../../etc/passwd", "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd", "..\\..\\..\\..\\etc\\passwd", "....//....//....//etc/passwd",
    "/etc/passwd", "%2fetc%2fpasswd", "js/../../../server.py", "js/%2e%2e/%2e%2e/server.py", "../server.py",
    "../../.annotate/accounts.json", "%2e%2e%2f%2e%2e%2f.annotate%2faccounts.json", "../../seeds/" + SEED_ID + ".txt",
    "..%00/etc/passwd", "css/", "", ".", "..", "%2e%2e",
]
ROUTES = ["/", "/static/", "/static/js/", "/assets/", "/login/", "/download/", "/ws/", "/logout/", "/ws?x=", "/?p="]
SECRETS = [b"root:x:0:0", b"scrypt$", b"class Server", b"North Korea", b"textual_serve", b"<title>Index of"]


@run_async
async def test_no_route_serves_a_file_outside_the_app_assets(served: Served) -> None:
    before = files_under(served.project.root)
    async with await logged_in(served) as http:
        cookie = cookie_of(http)
        cases = list(itertools.product(ROUTES, TRAVERSALS, (None, cookie)))
        answers = await asyncio.gather(*(raw_get(served.url, route + payload, c) for route, payload, c in cases))
        for (route, payload, _), (status, body) in zip(cases, answers, strict=True):
            assert not any(s in body for s in SECRETS), (route + payload, status, body[:200])
            if route.startswith(("/static/", "/assets/", "/download/")) and payload:
                assert status in (400, 401, 403, 404), (route + payload, status)
        for listing in ("/static/", "/static/js/", "/static/fonts", "/assets/", "/static"):
            assert (await raw_get(served.url, listing, cookie))[0] == 404, listing
        assert (await raw_get(served.url, "/static/js/textual.js"))[0] == 200  # the app's own assets are served
        assert (await raw_get(served.url, "/assets/annotate.css"))[0] == 200
        status, _ = await raw_get(served.url, "/", host="localhost:1")  # one address only (its cookie)
        assert status == 307
    assert files_under(served.project.root) == before


# --------------------------------------------------------------------------- websockets


@run_async
async def test_a_websocket_from_another_origin_is_refused(served: Served) -> None:
    before = files_under(served.project.root)
    async with await logged_in(served) as http:
        for origin in ("http://evil.example", "null", served.url.replace("127.0.0.1", "localhost"),
                       served.url + ".evil.example"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(served.url + "/ws", origin=origin)
            assert refused.value.status == 403, origin
        with pytest.raises(aiohttp.WSServerHandshakeError):  # no Origin at all
            await http.ws_connect(served.url + "/ws")
    assert served.server.children() == []
    assert files_under(served.project.root) == before


@run_async
async def test_the_annotator_is_the_account_whatever_the_browser_sends(served: Served) -> None:
    async with await logged_in(served, "bob") as http:
        page = await http.get(served.url + "/?annotator=alice&name=alice")
        assert "bob · annotator" in await page.text() and "alice" not in await page.text()
        tab_url = f"{served.url}/ws?width=100&height=30&annotator=alice&root=/tmp"
        ws = await http.ws_connect(tab_url, origin=served.url, headers={"X-Annotator": "alice"})
        tab = Tab(ws)
        await tab.wait_for("bob")
        (pid,) = served.server.children()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert argv[argv.index(b"--annotator") + 1] == b"bob" and argv[argv.index(b"--role") + 1] == b"annotator"
        assert argv[argv.index(b"--root") + 1] == str(served.project.root).encode()
        await label_first_sentence(tab, served, "bob", "o", "opinion")
    assert labels_of(served.project, "bob")[0] == "opinion"
    assert not served.project.label_path(SEED_ID, "alice").exists()


@run_async
async def test_malformed_messages_and_a_zero_resize_do_not_end_the_session(served: Served) -> None:
    async with await logged_in(served, "alice") as http:
        tab = await Tab.open(http, served.url, width=0, height=0)
        await tab.wait_for("alice")
        bad: object
        for bad in ("x", [], {}, None, ["stdin"], ["stdin", 5], ["stdin", ""], ["stdin", "a" * 100_000],
                    ["resize"], ["resize", {"width": "x"}], ["resize", {"width": 10**12, "height": -5}],
                    ["resize", {"width": 0, "height": 0}], ["ping", {"a": 1}], ["blur", 1, 2], ["quit"], [1, 2]):
            await tab.send(bad)
        await tab.ws.send_bytes(b"\x00\xff\xfe")
        await tab.ws.send_str("{not json")
        await tab.ws.send_str('["resize", {"width": 0, "height": 0}]')
        await tab.send(["ping", "12345"])
        await asyncio.sleep(0.5)
        assert ["pong", "12345"] in [json.loads(s) for s in tab.strings]
        assert not tab.ws.closed and len(served.server.children()) == 1
        await tab.resize(100, 30)
        tab.mark()
        await label_first_sentence(tab, served, "alice", "q", "quote")
    assert labels_of(served.project, "alice")[0] == "quote"
    assert (await raw_get(served.url, "/login"))[0] == 200


@run_async
async def test_a_killed_session_loses_nothing_is_reported_and_the_others_go_on(served: Served) -> None:
    alice_http, bob_http = await logged_in(served, "alice"), await logged_in(served, "bob")
    async with alice_http, bob_http:
        alice, bob = await Tab.open(alice_http, served.url), await Tab.open(bob_http, served.url)
        for tab in (alice, bob):
            await tab.wait_for("sorted by")
            await tab.press("\r")
            await tab.wait_for("Sentence ")
        await alice.press("\x1b[H" + "jjj")  # home, then down to the fourth sentence
        await alice.wait_for("Sentence 4 of")
        await alice.press("s")
        await labeled(served.project, "alice", 3, "speculation")
        (pid,) = [p for p in served.server.children()
                  if b"\0alice\0" in Path(f"/proc/{p}/cmdline").read_bytes()]
        os.kill(pid, signal.SIGKILL)
        assert await alice.closed(15) == 4001
        assert any("annotate_error" in s and "killed by signal 9" in s for s in alice.strings)
        assert labels_of(served.project, "alice")[3] == "speculation"  # in the journal: kept
        bob.mark()
        await bob.press("\x1b[H" + "jjj")
        await bob.wait_for("Sentence 4 of")
        await bob.press("f")
        await labeled(served.project, "bob", 3, "fact")
        await bob.close()
    assert labels_of(served.project, "bob")[3] == "fact"
    async with await logged_in(served, "alice") as http:  # alice starts again and finds her label
        tab = await Tab.open(http, served.url)
        await tab.wait_for("sorted by")
        await tab.close()


@run_async
async def test_a_removed_account_is_signed_out_of_its_open_tab(served: Served) -> None:
    store = AccountStore(served.project.root)
    store.use_link(store.add("erin", "annotator").token, PASSWORD)
    async with await logged_in(served, "erin") as http:
        tab = await Tab.open(http, served.url)
        await tab.wait_for("erin")
        store.remove("erin")
        assert await tab.closed(15) == 4003
        assert (await http.get(served.url + "/", allow_redirects=False)).status == 303
    deadline = time.monotonic() + 15
    while served.server.children() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert served.server.children() == []


@run_async
async def test_a_session_that_cannot_start_tells_its_browser_why(served: Served) -> None:
    with broken(served.project.root / "schemas" / "claim-types.yaml", "name: claim-types\nlabels: [unclosed\n"):
        async with await logged_in(served, "alice") as http:
            tab = await Tab.open(http, served.url)
            assert await tab.closed(30) == 4001
            (error,) = [json.loads(s)[1] for s in tab.strings if "annotate_error" in s]
            assert error["how"] == "exit code 2" and "claim-types.yaml" in error["message"]
            assert error["message"].startswith("annotate: ")
    async with await logged_in(served, "bob") as http:  # the server goes on
        tab = await Tab.open(http, served.url)
        await tab.wait_for("sorted by")
        await tab.close()


@run_async
async def test_a_broken_accounts_file_lets_nobody_in_and_says_so(served: Served) -> None:
    with broken(served.project.root / ".annotate" / "accounts.json", "{broken"):
        async with browser() as http:
            assert (await http.get(served.url + "/login")).status == 200
            response = await login(http, served.url, "alice", PASSWORD)
            assert response.status == 503 and "accounts" in await response.text()
            assert "Set-Cookie" not in response.headers
    async with await logged_in(served, "alice"):
        pass


@run_async
async def test_a_download_is_only_for_the_account_whose_session_made_it(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from annotate.serve.accounts import Account
    from annotate.serve.server import SESSION_KEY, AnnotateServer, ServeOptions

    server = AnnotateServer(ServeOptions(tmp_path))
    bobs_tab = SimpleNamespace(account="bob", app_service_id="x")
    await server.download_manager.create_download(app_service=bobs_tab,  # type: ignore[arg-type]
                                                  delivery_key="k1", file_name="shot.svg",
                                                  open_method="download", mime_type="image/svg+xml")
    request = make_mocked_request("GET", "/download/k1", match_info={"key": "k1"})
    request[SESSION_KEY] = (None, Account("alice", "annotator", True, "s"))
    with pytest.raises(web.HTTPNotFound):
        await server.handle_download(request)
    request = make_mocked_request("GET", "/download/nope", match_info={"key": "nope"})
    request[SESSION_KEY] = (None, Account("bob", "annotator", True, "s"))
    with pytest.raises(web.HTTPNotFound):
        await server.handle_download(request)


@run_async
async def test_quitting_the_app_ends_the_tab_normally(served: Served) -> None:
    async with await logged_in(served, "rita") as http:
        tab = await Tab.open(http, served.url)
        await tab.wait_for("rita")
        await tab.press("\x11")  # ctrl+q
        assert await tab.closed(15) == 1000
        assert not any("annotate_error" in s for s in tab.strings)


@run_async
async def test_an_annotator_cannot_open_the_review_screen_a_reviewer_can(served: Served) -> None:
    folder = served.project.root / "labels" / SEED_ID
    async with await logged_in(served, "alice") as http:
        tab = await Tab.open(http, served.url)
        await tab.wait_for("sorted by")
        await tab.press("\r")
        await tab.wait_for("Sentence ")
        await tab.press("\x1b[H" + "f")  # something to review
        await labeled(served.project, "alice", 0, "fact")
        tab.mark()
        await tab.press("\x1b")  # back to the documents
        await tab.wait_for("sorted by")
        await tab.press("r")
        await tab.wait_for("Reviewing is for reviewers; your role is annotator.")
        await tab.close()
    assert not [p.name for p in folder.iterdir() if "gold" in p.name]  # refused, and nothing written
    async with await logged_in(served, "rita") as http:
        tab = await Tab.open(http, served.url)
        await tab.wait_for("sorted by")
        await tab.press("r")
        await tab.wait_for("accept all agreed")  # the review screen's keys
        await tab.press("\x1b[H" + "o")  # the first sentence's gold label: opinion
        await labeled(served.project, "gold", 0, "opinion")
        await tab.close()
    gold = current_labels(served.project, served.project.document(SEED_ID), "gold").labels.sentences[0]
    assert gold.label == "opinion" and gold.reviewer == "rita"


@pytest.mark.slow
@run_async
async def test_a_lost_network_ends_the_session_and_keeps_its_labels(served: Served) -> None:
    """The browser stops answering (its network is gone): the server's heartbeat notices, the app folds and exits."""
    async with await logged_in(served, "bob") as http:
        tab = await Tab.open(http, served.url, answer_pings=False)
        await tab.wait_for("sorted by")
        await tab.press("\r")
        await tab.wait_for("Sentence ")
        await tab.press("\x1b[H" + "jjjjj" + "q")  # the sixth sentence
        await labeled(served.project, "bob", 5, "quote")
        (pid,) = served.server.children()
        assert await tab.closed(40) is not None  # no pong: the server gave up on the tab
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()
    folded = yaml.safe_load(served.project.label_path(SEED_ID, "bob").read_text())
    assert folded["sentences"][5]["label"] == "quote"  # in the YAML file: the app quit cleanly


def test_tabs_are_limited_per_account_and_per_server(tmp_path: Path) -> None:
    from annotate.serve.server import AnnotateServer, ServeOptions

    class Tab:  # what the server knows of an open tab: whose it is
        def __init__(self, account: str) -> None:
            self.account = account

    server = AnnotateServer(ServeOptions(tmp_path, max_sessions=6, sessions_per_account=4))
    server.live.update(Tab("alice") for _ in range(4))  # type: ignore[misc]
    assert "alice has 4 tabs open already" in (server._busy("alice") or "")
    assert server._busy("bob") is None
    server.live.update(Tab("bob") for _ in range(2))  # type: ignore[misc]
    assert "The server is full (6 sessions)" in (server._busy("carol") or "")
