"""Command line: a thin layer over the library (run, show, eval)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import __version__

EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="imr-extract")
def main() -> None:
    """Turn IMR Final Determination Letters (PDF or text) into analysis-ready tables.

    Typical use: imr-extract run letters/ --out out/
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for letters/decisions/errors/evidence tables and manifest.json.")
@click.option("--from-list", "from_list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also read the paths listed in this file, one a line.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores).")
@click.option("--pdf-backend", type=click.Choice(["pdfium", "pdfplumber"]), default="pdfium", show_default=True,
              help="PDF text extractor; pdfium is about 30x faster and gives the same records.")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds one letter may take before its worker is killed; 0 disables the limit.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=50 * 1024 * 1024, show_default=True,
              help="Refuse input files larger than this.")
@click.option("--part-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Letters per part file written during the run (bounds memory).")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming a run into the same --out.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local process pool, or a Dask cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a local cluster of --workers).")
@click.option("--formats", default="csv,parquet", show_default=True,
              help="Comma-separated output formats: csv, parquet, duckdb.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def run(paths, out_dir, from_list, workers, pdf_backend, timeout, max_bytes, part_size, fresh, engine, scheduler,
        formats, quiet) -> None:
    """Convert every letter under PATHS (files, folders, .zip archives) into tables in --out.

    Exit code 0 when every input became a letter, 1 when some became error rows, 2 on a usage error.
    Rerunning into the same --out skips the inputs already done.
    """
    from ..run.batch import RunSettings, run as run_batch
    from ..io.inputs import InputError, expand, read_list

    given = [str(p) for p in paths]
    if from_list:
        given.extend(read_list(from_list))
    if not given:
        raise click.UsageError("give at least one file or folder (or --from-list FILE)")
    try:
        refs = list(expand(given))
        settings = RunSettings(
            **({"workers": workers} if workers else {}), pdf_backend=pdf_backend,
            timeout=timeout if timeout and timeout > 0 else None, max_bytes=max_bytes, part_size=part_size,
            fresh=fresh, quiet=quiet, engine=engine, scheduler=scheduler,
            formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        )
    except (InputError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    summary = run_batch(refs, out_dir, settings, inputs_given=given)
    if not quiet:
        c = summary.counts
        click.echo(f"{c['letters']} letters, {c['decisions']} decisions, {c['errors']} errors -> {out_dir} "
                   f"({summary.processed} processed now, {summary.skipped_done} already done, "
                   f"{summary.duplicates} duplicates)", err=True)
        for kind, n in summary.errors_by_kind.items():
            click.echo(f"  {kind}: {n}", err=True)
    sys.exit(summary.exit_code)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pdf-backend", type=click.Choice(["pdfium", "pdfplumber"]), default="pdfium", show_default=True)
@click.option("--evidence", is_flag=True, help="Print the letter text with every extracted span marked instead.")
def show(file, pdf_backend, evidence) -> None:
    """Print one letter's record as JSON (or, with --evidence, its text with extracted spans marked)."""
    from ..extract.letter import NotAnIMRLetter
    from ..insight.terminal import printable
    from ..io.read import ReadError
    from .. import parse_file

    try:
        record = parse_file(file, pdf_backend=pdf_backend)
    except ReadError as exc:
        raise click.ClickException(printable(f"{exc.kind}: {exc.message}")) from exc
    except NotAnIMRLetter as exc:
        raise click.ClickException(printable(f"not_an_imr_letter: {exc}")) from exc
    if evidence:
        from ..insight.evidence_view import render_marked

        click.echo(render_marked(record, color=sys.stdout.isatty()))
        return
    click.echo(printable(json.dumps(record.to_dict(), indent=2, ensure_ascii=False, default=str)))


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
    from ..io.tables import RunNotFound
    from ..insight.evaluate import GoldError, evaluate_records, load_gold, records_from_output
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
