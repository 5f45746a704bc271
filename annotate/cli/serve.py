"""``annotate serve`` (the screens in a browser) and ``annotate users`` (its accounts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import AnnotateError
from . import main, project_of, root_option, user_errors

DEFAULT_URL = "http://127.0.0.1:8000"
"""The address in a login link when --public-url is not given (annotate serve's default)."""
F = TypeVar("F", bound=Callable[..., Any])


def _store(ctx: click.Context) -> Any:
    from ..serve.accounts import AccountStore

    return AccountStore(project_of(ctx).root)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this machine needs https in front (see the README).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--public-url", default=None, metavar="URL",
              help="The address browsers use, e.g. https://annotate.example.org behind a TLS proxy"
                   " (default: http://HOST:PORT). Websockets from any other origin are refused.")
@click.option("--max-sessions", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="Most labeling sessions (browser tabs) at once; each is a process of about 100 MB.")
@root_option
@click.pass_context
@user_errors
def serve(ctx: click.Context, host: str, port: int, public_url: str | None, max_sessions: int) -> None:
    """Serve the home, labeling and review screens to browsers; each person logs in with an account.

    Every browser tab runs its own labeling process as the logged-in account (annotate users
    add NAME prints a login link). Labels go to the same files as in the terminal, with the
    same guarantees.
    """
    project = project_of(ctx)
    project.tagset()  # a broken tagset: say so now, not in every browser
    try:
        from ..serve.server import AnnotateServer, ServeOptions, network_warning
    except ImportError as exc:
        raise AnnotateError(f"annotate serve needs the serve extra ({exc.name} is missing):"
                            " pip install 'annotate[serve]'") from None
    options = ServeOptions(project.root, host, port, public_url, max_sessions)
    server = AnnotateServer(options)
    warning = network_warning(options)
    if warning:
        click.echo(f"annotate: warning: {warning}", err=True)
    if not server.accounts.current():
        click.echo("annotate: no accounts yet: annotate users add NAME prints a login link", err=True)
    try:
        server.serve()
    except OSError as exc:
        raise AnnotateError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:  # Ctrl+C before the server took over the signal
        pass


@main.group()
def users() -> None:
    """Accounts of annotate serve: add one (prints a login link), list them, remove one."""


def link_options(func: F) -> F:
    """The options of a command that prints a login link: ``--public-url``, ``--hours``, ``--root``."""
    for option in reversed((
        click.option("--public-url", default=DEFAULT_URL, show_default=True, metavar="URL",
                     help="The server's address, for the link (the --public-url of annotate serve)."),
        click.option("--hours", default=72.0, show_default=True, type=click.FloatRange(0.1, 24 * 90),
                     help="How long the link stays valid."),
        root_option,
    )):
        func = option(func)
    return func


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["annotator", "reviewer"]), default="annotator", show_default=True,
              help="annotator: labels documents; reviewer: labels and also reviews (decides gold labels).")
@link_options
@click.pass_context
@user_errors
def users_add(ctx: click.Context, name: str, role: str, public_url: str, hours: float) -> None:
    """Create an account and print its one-time login link (it sets the password)."""
    issued = _store(ctx).add(name, role, hours)  # type: ignore[arg-type]
    _print_link(name, role, public_url, issued)


@users.command("link")
@click.argument("name")
@link_options
@click.pass_context
@user_errors
def users_link(ctx: click.Context, name: str, public_url: str, hours: float) -> None:
    """Print a new one-time login link for an account (a forgotten password; the old link stops working)."""
    store = _store(ctx)
    issued = store.new_link(name, hours)
    role = store.read().accounts[name].role
    _print_link(name, role, public_url, issued)


def _print_link(name: str, role: str, public_url: str, issued: Any) -> None:
    url = f"{public_url.rstrip('/')}/login/{issued.token}"
    click.echo(url)
    click.echo(f"annotate: login link for {name} ({role}), valid once until {issued.expires:%Y-%m-%d %H:%M} UTC;"
               " send it to them privately", err=True)


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@root_option
@click.pass_context
@user_errors
def users_list(ctx: click.Context, as_json: bool) -> None:
    """The accounts: name, role, whether a password is set, a pending login link."""
    from ..serve.accounts import list_accounts

    rows = list_accounts(_store(ctx))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("annotate: no accounts (annotate users add NAME)", err=True)
        return
    for row in rows:
        link = ""
        if row["link_expires"]:
            link = "link expired" if row["link_expired"] else f"link valid until {row['link_expires']}"
        state = "password set" if row["password"] else "no password yet"
        click.echo(f"{row['name']:<20} {row['role']:<10} {state:<16} {link}".rstrip())


@users.command("remove")
@click.argument("name")
@root_option
@click.pass_context
@user_errors
def users_remove(ctx: click.Context, name: str) -> None:
    """Delete an account: a running server ends its sessions within seconds; its labels stay."""
    _store(ctx).remove(name)
    click.echo(f"annotate: removed {name} (their labels stay in labels/)", err=True)
