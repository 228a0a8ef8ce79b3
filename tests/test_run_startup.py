"""Nothing on the run's hot path that a letter does not need (issue 13).

pyarrow's conversion of Python objects imports pandas on first use (0.3-0.45 s a process);
the driver and the workers build their tables without it. A batch of one letter starts one
worker, not one per core.
"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO_ROOT, seed_paths

PROBE = r"""
import json, sys
from pathlib import Path
from imr_extract.io.inputs import expand
from imr_extract.run.batch import RunSettings, run
from imr_extract.run.worker import Task, WorkerSettings, run_chunk
refs = list(expand(sys.argv[1:-1]))
out = Path(sys.argv[-1])
# a worker's whole job, in this process: read, parse, audit, write a part
run_chunk(0, [Task(i, r, None) for i, r in enumerate(refs)], WorkerSettings(1 << 26, "pdfium", 1, str(out / "w")))
worker_pandas = "pandas" in sys.modules
run(refs, out / "run", RunSettings(workers=2, quiet=True, formats=("csv", "parquet")))
print(json.dumps({"worker": worker_pandas, "driver": "pandas" in sys.modules}))
"""


def test_pandas_is_never_imported_to_run_letters(tmp_path, letter_pdf):
    (tmp_path / "w" / ".parts").mkdir(parents=True)
    inputs = [str(seed_paths()[0]), str(letter_pdf(seed_paths()[1]))]
    proc = subprocess.run([sys.executable, "-c", PROBE, *inputs, str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"worker": False, "driver": False}


def test_never_more_workers_than_chunks(tmp_path, monkeypatch):
    from imr_extract.io.inputs import expand
    from imr_extract.run import pool
    from imr_extract.run.batch import RunSettings, run

    started = []
    real = pool.fork_worker

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pool, "fork_worker", counting)
    run(list(expand([seed_paths()[0]])), tmp_path / "out", RunSettings(workers=8, quiet=True))
    assert len(started) == 1
