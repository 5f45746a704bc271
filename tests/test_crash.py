"""kill -9 at random moments, many times: every label file stays valid and holds what the screen showed.

The short seeded mode of ``benchmarks/crash_harness.py`` (the long mode is ``--rounds N``):
``annotate label`` and ``annotate review`` run as real processes in a pseudo-terminal, get a
random sequence of keys and a SIGKILL at a random moment; one round works on a
10,000-sentence document with kills timed into its fold (the YAML rewrite).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from annotate.session import LabelSession

REPO = Path(__file__).resolve().parent.parent

SEED = 2
KINDS = ["big", "review", "restart", "label"]
"""One round of each kind: 10k document, review (gold labels), restarts on a killed project, labeling."""


def _harness():
    if os.name != "posix" or not hasattr(os, "openpty"):
        pytest.skip("the crash harness needs POSIX pseudo-terminals")
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import crash_harness
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return crash_harness


def test_crash_harness_short_seeded_run() -> None:
    harness = _harness()
    stats = harness.run_harness(rounds=len(KINDS), seed=SEED, kinds=KINDS, time_limit=35, cli_every=2, verbose=True)
    print(stats.summary(SEED))
    assert not stats.problems, "\n".join(stats.problems)
    assert (stats.lost, stats.corrupt, stats.mismatched, stats.errors) == (0, 0, 0, 0)
    assert stats.rounds > 0 and stats.kinds["big"] == 1
    assert stats.kills == stats.rounds + stats.restarts  # every process started was killed by SIGKILL
    assert stats.keys_acked > 0 and stats.files_checked >= stats.kills
    assert stats.reopens == stats.rounds and stats.cli_validations > 0


def test_own_fold_is_not_a_change_on_disk(project, tagset, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's disk watch (every 2 s, UI thread) may run while a fold (worker thread) renames the file.

    Between the rename and the fold recording the file's new stamp, the session took its own write
    for someone else's (a git pull): the screen reloaded, dropped the undo history and said
    "The label file changed on disk". Found by the crash harness's fold-window rounds.
    """
    import annotate.session as session_module

    session = LabelSession.open(project, project.document("kim-visits-beijing"), "alice", tagset)
    try:
        session.change(0, label="fact")
        seen: list[bool] = []
        real_write = session_module.atomic_write

        def write_then_watch(path: Path, data: bytes, **kwargs: object) -> None:
            real_write(path, data, **kwargs)
            if path == session.path:
                seen.append(session.changed_on_disk())

        monkeypatch.setattr(session_module, "atomic_write", write_then_watch)
        assert session.fold()
        assert seen == [False]
        assert not session.changed_on_disk()
        assert len(session.undo_stack) == 1
        session.path.write_bytes(session.path.read_bytes() + b"\n")  # someone else's write is still seen
        assert session.changed_on_disk()
    finally:
        session.close()
