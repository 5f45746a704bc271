"""Baseline for ``bench_keys.py``: the least a Textual labelling app can do per key.

On every key (except ctrl+q, which quits) it writes a tiny YAML file durably
(temporary file in the same directory, flush, fsync, ``os.replace``) and then
repaints one line (a ``Static`` showing the key count). Nothing else: no
document, no list, no journal. ``annotate label`` is measured against it.

    python benchmarks/bare_app.py --out /tmp/x/bench.yaml
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import yaml
from textual.app import App, ComposeResult
from textual.events import Key
from textual.widgets import Static

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def write_durably(path: str, data: dict[str, object]) -> None:
    """Temp file beside ``path``, flush, fsync, rename over ``path``."""
    directory = os.path.dirname(path) or "."
    # The temp name must not match the benchmark's watch pattern (*bench*).
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.dump(data, fh, Dumper=_Dumper, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class BareApp(App[None]):
    CSS = "#count { height: 1; }"

    def __init__(self, out: str) -> None:
        super().__init__()
        self.out = out
        self.count = 0

    def compose(self) -> ComposeResult:
        yield Static("keys: 0", id="count")

    def on_key(self, event: Key) -> None:
        if event.key == "ctrl+q":
            self.exit()
            return
        self.count += 1
        write_durably(
            self.out,
            {"version": 1, "keys": self.count, "last": event.key, "time": time.time()},
        )
        self.query_one("#count", Static).update(f"keys: {self.count}  last: {event.key}")
        event.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="YAML file rewritten on every key")
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    BareApp(os.path.abspath(args.out)).run()


if __name__ == "__main__":
    main()
