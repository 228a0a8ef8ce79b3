#!/usr/bin/env python3
"""Speed and memory figures for imr-extract.

    python bench/run.py                # full: 1000 generated PDFs, a few minutes on 2 cores
    python bench/run.py --quick        # a smoke run in well under a minute
    python bench/run.py --letters 400  # another number of generated PDFs

Figures:
  (a) bare pypdfium2 text extraction per letter (the floor no PDF pipeline can beat)
  (b) the whole pipeline per letter from PDF (pdfium backend), CPU time, in-process, one thread; ratio to (a)
  (c) the same with the pdfplumber backend
  (d) from text input: letters per second per core
  (e) `run` over the generated PDFs with 1 and with 2 workers: wall time and speedup
  (f) peak RSS of runs over 250 and over all generated letters (flat = memory does not grow with the batch)
  (g) start-up: `imr-extract --help` as a subprocess

Inputs: the 64 real letters in ../shared/real (when present) and N PDFs printed with reportlab from the
corpus letters with small variations (a different age, a reference line), cached in bench/.cache.
Results are printed and written to bench/results.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED_REAL = Path(os.environ.get("IMR_SHARED_DIR", ROOT.parent / "shared")) / "real"
CACHE = Path(__file__).resolve().parent / ".cache"
RESULTS = Path(__file__).resolve().parent / "results.json"
GENERATOR_VERSION = "1"  # bump when the PDF generator changes, to invalidate the cache
PACKAGES = ("imr-extract", "pypdfium2", "pdfplumber", "spacy", "regex", "pandas", "pyarrow", "pebble", "reportlab")


# ---------------------------------------------------------------------------------------------- inputs


def corpus_texts() -> list[tuple[str, str]]:
    paths = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("synthetic/*.txt")])
    if not paths:
        sys.exit(f"no corpus letters in {CORPUS}")
    return [(p.stem, p.read_text(encoding="utf-8")) for p in paths]


def printed_lines(text: str) -> list[str]:
    """One PDF line per letter line (seeds double their line breaks; normalizing undoes that)."""
    from imr_extract.text.normalize import normalize
    from imr_extract.io.read import split_text_pages

    return [ln for ln in normalize(split_text_pages(text)).text.split("\n") if ln.strip()]


def render_pdf(lines: list[str], path: Path) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    width, height, margin, size, leading, per_page = 612.0, 792.0, 36.0, 9.0, 12.5, 55
    c = canvas.Canvas(str(path), pagesize=(width, height), invariant=1)
    for start in range(0, len(lines), per_page):
        y = height - margin - size
        for line in lines[start:start + per_page]:
            w = stringWidth(line, "Helvetica", size)
            c.setFont("Helvetica", size if w <= width - 2 * margin else max(4.0, size * (width - 2 * margin) / w))
            c.drawString(margin, y, line)
            y -= leading
        c.showPage()
    c.save()


_AGE = re.compile(r"\b(\d{2})(\s?-?\s?years?\s?-?\s?old)", re.IGNORECASE)


def vary(text: str, i: int, rng: random.Random) -> str:
    """A small, realistic variation: another age, and a unique reference line (no duplicate bytes)."""
    text = _AGE.sub(lambda m: f"{rng.randint(20, 75)}{m.group(2)}", text, count=1)
    return text.rstrip() + f"\n \nReference BENCH-{i:05d}\n"


def generated_pdfs(n: int) -> list[Path]:
    """N PDFs from the corpus letters, made once and kept in bench/.cache."""
    texts = corpus_texts()
    key = hashlib.sha256((GENERATOR_VERSION + "".join(t for _, t in texts)).encode()).hexdigest()[:12]
    folder = CACHE / f"pdfs-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"gen-{i:05d}-{texts[i % len(texts)][0]}.pdf" for i in range(n)]
    missing = [(i, p) for i, p in enumerate(paths) if not p.exists()]
    if missing:
        t0 = time.perf_counter()
        print(f"generating {len(missing)} PDFs into {folder} ...", file=sys.stderr, flush=True)
        for i, path in missing:
            rng = random.Random(i)
            tmp = path.with_suffix(".tmp")
            render_pdf(printed_lines(vary(texts[i % len(texts)][1], i, rng)), tmp)
            tmp.replace(path)
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return paths


# ---------------------------------------------------------------------------------------------- measures


def cpu_per_item(items, fn, warmup: int = 2) -> dict:
    """CPU seconds per item of ``fn(item)`` (process_time: this process, one thread)."""
    for item in items[:warmup]:
        fn(item)
    t0 = time.process_time()
    w0 = time.perf_counter()
    for item in items:
        fn(item)
    cpu = time.process_time() - t0
    return {"n": len(items), "cpu_s": round(cpu, 3), "wall_s": round(time.perf_counter() - w0, 3),
            "ms_per_letter": round(1000 * cpu / max(1, len(items)), 3)}


def pdfium_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return "\f".join(out)
    finally:
        pdf.close()


def parse_pdf(backend: str):
    import imr_extract

    return lambda path: imr_extract.parse_file(path, pdf_backend=backend)


_RUN_CHILD = r"""
import json, resource, sys, time
from imr_extract.run.batch import RunSettings, run
from imr_extract.io.inputs import InputRef
from pathlib import Path
paths = [Path(p) for p in json.loads(Path(sys.argv[2]).read_text())]
refs = [InputRef(str(p), p) for p in paths]
t0 = time.perf_counter()
s = run(refs, sys.argv[3], RunSettings(workers=int(sys.argv[4]), quiet=True))
wall = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "counts": s.counts, "maxrss_self_mb": me.ru_maxrss / 1024,
                  "maxrss_children_mb": kids.ru_maxrss / 1024, "driver_cpu_s": me.ru_utime + me.ru_stime,
                  "workers_cpu_s": kids.ru_utime + kids.ru_stime}))
"""


def batch_run(paths: list[Path], workers: int) -> dict:
    """`run` in a fresh interpreter, so its peak RSS belongs to this run alone."""
    with tempfile.TemporaryDirectory(prefix="imr-bench-") as tmp:
        listing = Path(tmp) / "inputs.json"
        listing.write_text(json.dumps([str(p) for p in paths]))
        proc = subprocess.run([sys.executable, "-c", _RUN_CHILD, "-", str(listing), str(Path(tmp) / "out"),
                               str(workers)], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"benchmark run failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(letters=len(paths), workers=workers, wall_s=round(result["wall_s"], 3),
                  letters_per_s=round(len(paths) / result["wall_s"], 2),
                  maxrss_self_mb=round(result["maxrss_self_mb"], 1),
                  maxrss_children_mb=round(result["maxrss_children_mb"], 1),
                  driver_cpu_ms_per_letter=round(1000 * result.pop("driver_cpu_s") / len(paths), 2),
                  workers_cpu_ms_per_letter=round(1000 * result.pop("workers_cpu_s") / len(paths), 2))
    if result["counts"]["errors"]:
        print(f"warning: {result['counts']['errors']} error rows in the benchmark run", file=sys.stderr)
    return result


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "imr-extract"
    return [str(script)] if script.exists() else [sys.executable, "-m", "imr_extract"]


def startup(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([*cli_command(), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return {"command": " ".join(Path(c).name for c in cli_command()) + " --help", "runs": repeats,
            "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3)}


def machine() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor(),
            "python": sys.version.split()[0], "packages": versions,
            "load_average": [round(x, 2) for x in os.getloadavg()]}


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=None, help="generated PDFs (default 1000; --quick: 60)")
    ap.add_argument("--quick", action="store_true", help="small samples: a smoke run, not a measurement")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = ap.parse_args()
    n = args.letters or (60 if args.quick else 1000)
    small = max(1, min(250, n // 4))

    started = time.perf_counter()
    results: dict = {"machine": machine(), "settings": {"generated_letters": n, "quick": args.quick}}
    print("== machine")
    m = results["machine"]
    print(f"  {m['cpu_count']} CPUs, {m['platform']}, Python {m['python']}, load average {m['load_average']}")
    print("  " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))

    generated = generated_pdfs(n)
    real = sorted(SHARED_REAL.glob("*.pdf"))
    if args.quick:
        real = real[:16]
    sets = {"real": real, "generated": generated}
    if not real:
        print(f"  (no real letters at {SHARED_REAL}; real-letter figures skipped)")
        del sets["real"]

    print("\n== (a) bare pypdfium2 text extraction, ms CPU per letter")
    results["a_pdfium_text"] = {}
    for name, paths in sets.items():
        r = cpu_per_item(paths, pdfium_text)
        results["a_pdfium_text"][name] = r
        print(f"  {name:9s} {r['ms_per_letter']:8.2f} ms  ({r['n']} letters)")

    print("\n== (b) whole pipeline from PDF, pdfium backend, in-process, one thread")
    import imr_extract

    t0 = time.perf_counter()
    imr_extract.parse_file(generated[0])
    results["first_letter_warmup_s"] = round(time.perf_counter() - t0, 3)
    results["b_pipeline_pdfium"] = {}
    for name, paths in sets.items():
        r = cpu_per_item(paths, parse_pdf("pdfium"))
        r["ratio_to_bare_text"] = round(r["ms_per_letter"] / results["a_pdfium_text"][name]["ms_per_letter"], 2)
        results["b_pipeline_pdfium"][name] = r
        print(f"  {name:9s} {r['ms_per_letter']:8.2f} ms  = {r['ratio_to_bare_text']:.1f} x bare extraction "
              f"({r['n']} letters)")
    print(f"  first letter of the process (rules, models): {results['first_letter_warmup_s']:.2f} s wall")

    print("\n== (c) whole pipeline from PDF, pdfplumber backend")
    results["c_pipeline_pdfplumber"] = {}
    plumber_sets = {"real": sets.get("real", []), "generated": generated[: (10 if args.quick else 100)]}
    for name, paths in plumber_sets.items():
        if not paths:
            continue
        r = cpu_per_item(paths, parse_pdf("pdfplumber"), warmup=1)
        fast = cpu_per_item(paths, parse_pdf("pdfium"), warmup=0)["ms_per_letter"]
        r["slower_than_pdfium"] = round(r["ms_per_letter"] / fast, 1)
        results["c_pipeline_pdfplumber"][name] = r
        print(f"  {name:9s} {r['ms_per_letter']:8.2f} ms  = {r['slower_than_pdfium']:.0f} x the pdfium backend "
              f"({r['n']} letters)")

    print("\n== (d) from text: letters per second per core")
    texts = [t for _, t in corpus_texts()]
    target = 300 if args.quick else 3000
    batch = (texts * (target // len(texts) + 1))[:target]
    r = cpu_per_item(batch, imr_extract.parse_text)
    r["letters_per_s_per_core"] = round(r["n"] / r["cpu_s"], 1)
    results["d_text_per_core"] = r
    print(f"  {r['letters_per_s_per_core']:.0f} letters/s per core ({r['ms_per_letter']:.2f} ms each, "
          f"{r['n']} letters)")

    print(f"\n== (e) `run` over {n} generated PDFs: 1 vs 2 workers (wall time, fresh interpreter each, best of "
          f"{1 if args.quick else 2})")
    repeats = 1 if args.quick else 2  # best of: other work on the machine only ever slows a run down
    one = min((batch_run(generated, 1) for _ in range(repeats)), key=lambda r: r["wall_s"])
    two = min((batch_run(generated, 2) for _ in range(repeats)), key=lambda r: r["wall_s"])
    results["e_run"] = {"workers_1": one, "workers_2": two, "speedup": round(one["wall_s"] / two["wall_s"], 2)}
    for r in (one, two):
        print(f"  workers={r['workers']}: {r['wall_s']:7.2f} s  {r['letters_per_s']:7.1f} letters/s   CPU per letter: "
              f"driver {r['driver_cpu_ms_per_letter']:.2f} ms, workers {r['workers_cpu_ms_per_letter']:.2f} ms")
    print(f"  speedup x{results['e_run']['speedup']:.2f} on {os.cpu_count()} CPUs")

    print(f"\n== (f) peak RSS, 2 workers: {small} vs {n} letters")
    few = batch_run(generated[:small], 2)
    results["f_peak_rss"] = {
        "letters": [small, n],
        "driver_mb": [few["maxrss_self_mb"], two["maxrss_self_mb"]],
        "largest_worker_mb": [few["maxrss_children_mb"], two["maxrss_children_mb"]],
    }
    for label, r in ((small, few), (n, two)):
        print(f"  {label:6d} letters: driver {r['maxrss_self_mb']:7.1f} MB, largest worker "
              f"{r['maxrss_children_mb']:7.1f} MB")

    print("\n== (g) start-up")
    results["g_startup"] = startup(3 if args.quick else 5)
    g = results["g_startup"]
    print(f"  `{g['command']}`: median {g['median_s']:.2f} s (min {g['min_s']:.2f} s, {g['runs']} runs)")

    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\nload average at the end: {results['load_average_at_end']} (other work on the machine skews the figures)")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {args.out} ({results['bench_seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()
