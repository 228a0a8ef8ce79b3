"""Command line: a thin layer over the library (run, show, eval)."""
from __future__ import annotations

import contextlib
import json
import logging
import sys
from pathlib import Path

import click

from .. import __version__

EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="imr-extract")
def main() -> None:
    """Turn IMR Final Determination Letters (PDF or text) into analysis-ready tables.

    Typical use: imr-extract run letters/ --out out/
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for letters/decisions/errors/evidence tables and manifest.json.")
@click.option("--from-list", "from_list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also read the paths listed in this file, one a line.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores; never more than there are chunks of letters).")
@click.option("--pdf-backend", type=click.Choice(["pdfium", "pdfplumber"]), default="pdfium", show_default=True,
              help="PDF text extractor; pdfium is about 30x faster and gives the same records.")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds one letter may take before its worker is killed; 0 disables the limit.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=50 * 1024 * 1024, show_default=True,
              help="Refuse input files (and archive members) larger than this.")
@click.option("--max-memory", "max_memory", type=click.IntRange(min=0), default=2048, show_default=True,
              help="Megabytes of memory a worker may add to its start-up size; a letter needing more becomes a "
                   "memory_limit error row. 0 = no cap.")
@click.option("--part-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Letters per part file written during the run at most (bounds memory).")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming a run into the same --out.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local process pool, or a Dask cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a local cluster of --workers).")
@click.option("--formats", default="csv,parquet", show_default=True,
              help="Comma-separated output formats: csv, parquet, duckdb, xlsx.")
@click.option("--symlinks", type=click.Choice(["inside", "follow", "refuse"]), default="inside", show_default=True,
              help="Symbolic links found in a folder: follow those pointing inside it, follow all, or none "
                   "(a link not followed becomes a refused_symlink error row).")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary (errors are still said).")
@click.option("-v", "--verbose", is_flag=True, help="Also log every error row and worker restart as it happens.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the run's log (with --verbose detail) to this file.")
def run(paths, out_dir, from_list, workers, pdf_backend, timeout, max_bytes, max_memory, part_size, fresh, engine,
        scheduler, formats, symlinks, quiet, verbose, log_file) -> None:
    """Convert every letter under PATHS (files, folders, .zip archives) into tables in --out.

    Exit code 0 when every input became a letter, 1 when some became error rows, 2 on a usage
    error, 3 when the run itself failed (a full disk), 130 when interrupted (rerun to resume).
    Rerunning into the same --out skips the inputs already done whose bytes did not change.
    """
    from collections import Counter

    from ..io.inputs import InputError, expand, read_list
    from ..io.terminal import printable
    from ..run.batch import RunError, RunSettings
    from ..run.batch import run as run_batch

    handlers = _configure_logging(quiet, verbose, log_file)
    given = [str(p) for p in paths]
    if from_list:
        given.extend(read_list(from_list))
    if not given:
        raise click.UsageError("give at least one file or folder (or --from-list FILE)")
    skipped: Counter = Counter()
    try:
        settings = RunSettings(
            **({"workers": workers} if workers else {}), pdf_backend=pdf_backend,
            timeout=timeout if timeout and timeout > 0 else None, max_bytes=max_bytes,
            max_memory_mb=max_memory or None, part_size=part_size, fresh=fresh, quiet=quiet, engine=engine,
            scheduler=scheduler, formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
            symlinks=symlinks,
        )
        refs = list(expand(given, symlinks=symlinks, skipped=skipped, max_bytes=max_bytes))
    except (InputError, ValueError) as exc:
        raise click.UsageError(printable(exc)) from exc
    if not refs:
        _fail(f"no letters found in {', '.join(given)}: {_skipped_text(skipped) or 'nothing there'}. Letters are "
              ".pdf, .txt or .text files, or .zip archives of them", EXIT_USAGE)
    _install_sigterm()
    try:
        summary = run_batch(refs, out_dir, settings, inputs_given=given, skipped=skipped)
    except RunError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted; rerun the same command to resume", EXIT_INTERRUPTED)
    except Exception as exc:
        logging.getLogger("imr_extract.run").debug("the run failed", exc_info=True)
        _fail(f"the run failed: {type(exc).__name__}: {exc} (please report it); what was done is saved, rerun to "
              f"resume", EXIT_FAILED)
    finally:
        logger = logging.getLogger("imr_extract.run")
        for h in handlers:  # the command's handlers go with it (library use after it logs as it did before)
            logger.removeHandler(h)
            h.close()
        logger.propagate = True
    if not quiet:
        c = summary.counts
        click.echo(printable(f"{c['letters']} letters, {c['decisions']} decisions, {c['errors']} errors -> "
                             f"{out_dir} ({summary.processed} processed now, {summary.skipped_done} already done, "
                             f"{summary.duplicates} duplicates)"), err=True)
        for kind, n in summary.errors_by_kind.items():
            click.echo(f"  {kind}: {n}", err=True)
        if skipped:
            click.echo(printable(f"  skipped (not read): {_skipped_text(skipped)}"), err=True)
    sys.exit(summary.exit_code)


def _skipped_text(skipped) -> str:
    return ", ".join(f"{n} {why}" for why, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))


def _fail(message: str, code: int) -> None:
    from ..io.terminal import printable

    click.echo(f"imr-extract: {printable(message, keep_newlines=False)}", err=True)
    sys.exit(code)


def _configure_logging(quiet: bool, verbose: bool, log_file: Path | None) -> list:
    """Run messages to stderr (progress lines too, when stderr is not a terminal) and to --log-file."""
    from ..io.terminal import PrintableFormatter

    logger = logging.getLogger("imr_extract.run")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(PrintableFormatter("imr-extract: %(message)s"))
    logger.addHandler(console)
    if log_file is None:
        return [console]
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        logger.removeHandler(console)
        raise click.UsageError(f"--log-file {log_file}: {exc.strerror or exc}") from exc
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(PrintableFormatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return [console, handler]


def _install_sigterm() -> None:
    """SIGTERM (a scheduler stopping the job) ends the run like Ctrl-C: saved work, exit 130."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (the command called from another thread)
        signal.signal(signal.SIGTERM, handler)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pdf-backend", type=click.Choice(["pdfium", "pdfplumber"]), default="pdfium", show_default=True)
@click.option("--evidence", is_flag=True, help="Print the letter text with every extracted span marked instead.")
def show(file, pdf_backend, evidence) -> None:
    """Print one letter's record as JSON (or, with --evidence, its text with extracted spans marked)."""
    import hashlib

    from .. import parse_pages
    from ..extract.letter import NotAnIMRLetter
    from ..io.inputs import read_file_bytes, shown
    from ..io.read import DEFAULT_MAX_BYTES, ReadError, read_bytes
    from ..io.terminal import printable

    try:
        data = read_file_bytes(file, DEFAULT_MAX_BYTES)
        doc = read_bytes(data, shown(file), backend=pdf_backend)
        record = parse_pages(doc.pages, source_path=doc.source_path, source_type=doc.source_type)
    except ReadError as exc:
        raise click.ClickException(printable(f"{exc.kind}: {exc.message}")) from exc
    except NotAnIMRLetter as exc:
        raise click.ClickException(printable(f"not_an_imr_letter: {exc}")) from exc
    if evidence:
        from ..insight.evidence_view import render_marked

        click.echo(render_marked(record, color=sys.stdout.isatty()))
        return
    out = record.to_dict()
    out["content_hash"] = hashlib.sha256(data).hexdigest()  # as `run` fills it
    click.echo(printable(json.dumps(out, indent=2, ensure_ascii=False, default=str)))


@main.command(name="eval")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--gold", required=True, type=click.Path(exists=True, path_type=Path),
              help="Folder of <stem>.json expected records, or one JSON file {\"letters\": {stem: record}}.")
@click.option("-v", "--verbose", is_flag=True, help="List every mismatch.")
@click.option("--min", "min_accuracy", type=float, default=None, help="Exit 1 when overall accuracy is below this.")
def evaluate(out_dir, gold, verbose, min_accuracy) -> None:
    """Print per-field accuracy of a run's tables (OUT_DIR, any format it wrote) against expected values.

    Exit code 2 when OUT_DIR holds no run or GOLD holds no expected values.
    """
    from ..insight.evaluate import GoldError, evaluate_records, load_gold, records_from_output
    from ..io.tables import RunNotFound
    from .common import Refused, say

    try:
        expected = load_gold(gold)
        records = records_from_output(out_dir)
    except (GoldError, RunNotFound) as exc:
        raise Refused(str(exc)) from exc
    ev = evaluate_records(records, expected)
    say(ev.report(verbose=verbose))
    if min_accuracy is not None and ev.total and ev.correct / ev.total < min_accuracy:
        sys.exit(1)


def _register_insight_commands() -> None:
    """audit/report live in their own module to keep this one small."""
    from . import insight

    for command in insight.COMMANDS:
        main.add_command(command)


_register_insight_commands()
