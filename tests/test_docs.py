"""The documents say what the code does: schema generated from records.py, every run option in the README."""
from __future__ import annotations

from conftest import REPO_ROOT

from imr_extract import schema_doc
from imr_extract.cli.main import main
from imr_extract.records import TABLES


def test_schema_doc_is_generated_from_the_code():
    assert (REPO_ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == schema_doc.render(), \
        "docs/schema.md is stale: run python -m imr_extract.schema_doc docs/schema.md"


def test_every_column_is_documented():
    doc = (REPO_ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    missing = [f"{t}.{c.name}" for t, cols in TABLES.items() for c in cols if f"| `{c.name}` |" not in doc]
    assert not missing


def test_every_run_option_is_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    run = main.commands["run"]
    options = [opt for p in run.params for opt in getattr(p, "opts", []) if opt.startswith("--")]
    missing = [o for o in options if f"`{o}" not in readme]
    assert options and not missing, f"run options missing from README.md: {missing}"


def test_docs_linked_from_the_readme_exist():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    import re

    links = re.findall(r"\]\((docs/[^)]+)\)", readme)
    assert links and all((REPO_ROOT / link).exists() for link in links)


def test_patterns_doc_is_generated_from_the_rule_schema():
    from imr_extract import rule_doc

    assert (REPO_ROOT / "docs" / "patterns.md").read_text(encoding="utf-8") == rule_doc.render(), \
        "docs/patterns.md is stale: run python -m imr_extract.rule_doc docs/patterns.md"
