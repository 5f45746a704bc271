"""annotate serve in a real browser: Debian's Chromium, driven by Playwright, through login, labeling and a reload.

Chromium is the system's (``apt-get install chromium``; ``.ci/run`` installs it); Playwright
only drives it (``executable_path``), it never downloads a browser. On CI a missing Chromium
fails the test; on a developer's machine it is skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO, SEED_ID, make_project

from annotate.cli import main
from annotate.reading import current_labels
from annotate.store import Project

sys.path.insert(0, str(REPO / "benchmarks"))
from serve_client import ESCAPES, ServerProcess  # noqa: E402

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """The system's Chromium; skipped when missing, except on CI where it must be there."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium (apt-get install chromium); .ci/run installs it")
    return found


class Screen:
    """What the app drew in the page, read from the websocket frames the browser received."""

    def __init__(self) -> None:
        self.text = ""

    def frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.text += ESCAPES.sub(b"", payload).decode("utf-8", "replace")

    def wait_for(self, page: object, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            assert time.monotonic() < deadline, f"{needle!r} not on screen; last: {self.text[-300:]!r}"
            page.wait_for_timeout(50)  # type: ignore[attr-defined]  # lets Playwright deliver events


def labels_of(project: Project) -> list[str | None]:
    """alice's current labels of the seed document (YAML and journal; empty before her first)."""
    if not project.label_path(SEED_ID, "alice").exists():
        return []
    return [s.label for s in current_labels(project, project.document(SEED_ID), "alice").labels.sentences]


def starts_with(project: Project, labels: list[str | None]) -> bool:
    """True when alice's first labels on disk are ``labels``."""
    return labels_of(project)[: len(labels)] == labels


def wait_until(page: object, condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Wait (letting the browser run) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not true after {timeout} s: {what}"
        page.wait_for_timeout(50)  # type: ignore[attr-defined]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Project, ServerProcess]]:
    project = make_project(tmp_path / "proj")
    server = ServerProcess(project.root, tmp_path / "serve.log")
    yield project, server
    assert server.stop() == 0, (tmp_path / "serve.log").read_text()


def test_login_label_three_sentences_reload_and_the_file_is_the_annotators(
        served: tuple[Project, ServerProcess], tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    project, server = served
    added = CliRunner().invoke(main, ["--root", str(project.root), "users", "add", "alice",
                                      "--public-url", server.url])
    assert added.exit_code == 0, added.output
    link = added.stdout.strip()
    screen = Screen()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(  # a fresh profile in tmp_path
            tmp_path / "profile", executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 700})
        try:
            page = browser.new_page()
            page.on("websocket", lambda ws: ws.on("framereceived", screen.frame))
            outside: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))

            page.goto(link)
            page.fill("#password", "alice's password")
            page.fill("#again", "alice's password")
            page.click("button[type=submit]")
            page.wait_for_url(server.url + "/")
            assert "alice · annotator" in page.inner_text("header")
            screen.wait_for(page, "sorted by name")

            page.click("#terminal")
            page.keyboard.press("Enter")
            screen.wait_for(page, "Sentence 1 of")
            expected: list[str | None] = []
            for key, label in (("f", "fact"), ("s", "speculation"), ("q", "quote")):
                page.keyboard.press(key)
                expected.append(label)
                wait_until(page, partial(starts_with, project, list(expected)), f"{expected} on disk")
            assert labels_of(project)[:4] == ["fact", "speculation", "quote", None]
            screen.text = ""
            page.keyboard.press("Escape")  # to the documents, where r reviews: not for an annotator
            screen.wait_for(page, "sorted by name")
            page.keyboard.press("r")
            screen.wait_for(page, "Reviewing is for reviewers; your role is annotator.")
            assert not [p.name for p in project.label_path(SEED_ID, "alice").parent.iterdir() if "gold" in p.name]

            screen.text = ""
            page.reload()
            screen.wait_for(page, "sorted by name")  # the home screen of the new session
            page.click("#terminal")
            page.keyboard.press("Enter")
            screen.wait_for(page, "Sentence 4 of")  # resumes at the first unlabeled sentence
            page.screenshot(path=str(tmp_path / "labeling.png"))
            assert outside == []  # nothing fetched from anywhere else (fonts included)

            deadline = time.monotonic() + 15
            while len(server.children()) > 1 and time.monotonic() < deadline:
                time.sleep(0.05)  # the reloaded page's first process is still folding its journal
            (pid,) = server.children()  # the process dies: the page says so, the labels stay
            os.kill(pid, signal.SIGKILL)
            page.wait_for_selector(".ended", state="visible")
            assert "stopped unexpectedly (killed by signal 9)" in page.inner_text("#ended-message")
            screen.text = ""
            page.click("#restart")
            screen.wait_for(page, "sorted by name")
            page.click("button:has-text('Log out')")
            page.wait_for_url(server.url + "/login")
        finally:
            browser.close()

    path = project.label_path(SEED_ID, "alice")
    data = yaml.safe_load(path.read_text())  # the first session folded its journal when the page reloaded
    assert data["annotator"] == "alice"
    assert [s.get("label") for s in data["sentences"][:4]] == ["fact", "speculation", "quote", None]
    others = [p.name for p in path.parent.iterdir() if not re.match(r"^\.?alice\.", p.name)]
    assert others == []  # nobody else's file was written
