"""What the commands share: a one-line refusal with exit code 2, reading a run, printing safely."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..io.terminal import printable

if TYPE_CHECKING:
    import pandas as pd

EXIT_USAGE = 2


class Refused(click.ClickException):
    """A usage or environment error: ``Error: <one line>`` on stderr, exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str):
        super().__init__(printable(" ".join(str(message).split())))


def say(text: object = "", err: bool = False) -> None:
    """Print one line (or block) with every control character escaped, to a terminal or a pipe alike."""
    click.echo(printable(text), err=err)


def read_run_or_refuse(out_dir: Path) -> dict[str, pd.DataFrame]:
    """The run's tables the audit and dashboard read (``insight.audit.read_for_audit``), or a refusal
    when ``out_dir`` holds no run (or a table that is not what the schema says)."""
    from ..insight.audit import read_for_audit
    from ..io.tables import RunNotFound

    try:
        return read_for_audit(out_dir)
    except (RunNotFound, ValueError) as exc:
        raise Refused(str(exc)) from exc
