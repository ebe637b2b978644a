"""``challenge-rules report``: the caseload report from the command line."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from caseload_cases import AS_OF as SMALL_AS_OF
from caseload_cases import DOCUMENTS
from challenge_rules.cli import main

CASELOAD = "examples/caseload/pan-cheshire-caseload.jsonl"
LOG = "examples/caseload/escalation-log.csv"
MAPPING = "examples/caseload/escalation-log-mapping.json"
AS_OF = "2026-04-01T09:00:00+01:00"
COMMON = ("--policy", "pan-cheshire", "--as-of", AS_OF)
SMALL = ("--policy", "pan-cheshire", "--as-of", SMALL_AS_OF.isoformat())
# Strings that only the log's unmapped columns, or nothing at all, hold.
CANARIES = ("free text that never reaches a report", "Jane Canary", "Runcorn", "31/02/2025")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def test_the_text_report_of_the_example_caseload(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "report", CASELOAD, *COMMON)
    assert status == 0
    assert err == ""
    assert "120 read, 0 refused, 0 outside the period, 120 counted." in out
    assert "Stages reached, and working days spent in each" in out


def test_jsonl_from_stdin_and_a_folder_of_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = "".join(json.dumps(d) + "\n" for d in DOCUMENTS[:3])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    status, out, _ = _run(capsys, "report", "-", *SMALL)
    assert status == 0
    assert "3 read, 0 refused" in out
    for number, document in enumerate(DOCUMENTS[:2]):
        (tmp_path / f"case-{number}.json").write_text(json.dumps(document), encoding="utf-8")
    status, out, _ = _run(capsys, "report", str(tmp_path), *SMALL)
    assert status == 0
    assert "2 read, 0 refused" in out


def test_refused_cases_are_reported_and_set_the_exit_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(DOCUMENTS[0]) + "\n{not json\n" + json.dumps(DOCUMENTS[7]) + "\n[]\n",
        encoding="utf-8",
    )
    status, out, err = _run(capsys, "report", str(cases), *SMALL)
    assert status == 1
    assert "4 read, 3 refused" in out
    assert f"{cases}:2" in err
    assert "case C-H" in err
    assert f"{cases}:4" in err
    assert "not a JSON object" in err


def test_csv_writes_a_folder_that_reads_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    status, out, _ = _run(
        capsys, "report", CASELOAD, *COMMON, "--format", "csv", "--output", str(folder)
    )
    assert status == 0
    assert "120 cases counted" in out
    with (folder / "cases.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert len(list(csv.DictReader(stream))) == 120
    with (folder / "status.csv").open(encoding="utf-8-sig", newline="") as stream:
        counts = {row["status"]: int(row["cases"]) for row in csv.DictReader(stream)}
    assert counts["raised"] == 120
    assert sum(v for k, v in counts.items() if k != "raised") == 120


def test_the_period_and_quarters(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        capsys,
        "report",
        CASELOAD,
        *COMMON,
        "--from",
        "2025-10-01",
        "--to",
        "2025-12-31",
        "--by",
        "quarter",
    )
    assert status == 0
    assert "concerns raised from 2025-10-01 to 2025-12-31" in out
    assert "Concerns by quarter" in out
    assert "2025-Q4" in out


def test_an_escalation_log_with_its_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "report", LOG, *COMMON, "--mapping", MAPPING)
    assert status == 1  # two of its rows are bad
    assert "40 read, 2 refused" in out
    assert "escalation-log.csv row 9: /Date raised: not a date" in err
    assert "escalation-log.csv row 14: /Area: not an area" in err
    assert "breaches of duties are not counted" in out


@pytest.mark.parametrize("output_format", ["text", "csv", "html"])
def test_no_output_holds_what_a_log_keeps_beside_its_mapped_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, output_format: str
) -> None:
    log = tmp_path / "log.csv"
    text = (
        Path(LOG)
        .read_text(encoding="utf-8")
        .replace("Notes", "Child's name,Notes")
        .replace(",synthetic example", ",Jane Canary,synthetic example")
    )
    log.write_text(text, encoding="utf-8")
    output = tmp_path / ("out" if output_format == "csv" else "report.out")
    status, out, err = _run(
        capsys,
        "report",
        str(log),
        *COMMON,
        "--mapping",
        MAPPING,
        "--format",
        output_format,
        "--output",
        str(output),
    )
    assert status == 1
    written = [output] if output.is_file() else sorted(output.iterdir())
    everything = out + err + "".join(p.read_text(encoding="utf-8-sig") for p in written)
    assert "Jane Canary" not in text.split("\n")[0]  # the canary is data, not a heading
    for canary in CANARIES:
        assert canary not in everything


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--format", "csv"), "--output FOLDER"),
        (("--from", "2026-01-01", "--to", "2025-01-01"), "--to is before --from"),
        (("--mapping", MAPPING), "--mapping is for .csv"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    status, _, err = _run(capsys, "report", CASELOAD, *COMMON, *argv)
    assert status == 2
    assert message in err


@pytest.mark.parametrize(
    "argv",
    [("--from", "1 April"), ("--idle-days", "0"), ("--as-of", "2026-04-01T09:00:00")],
)
def test_bad_arguments_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    status, _, err = _run(capsys, "report", CASELOAD, "--policy", "pan-cheshire", *argv)
    assert status == 2
    assert "error" in err


def test_a_missing_caseload_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "report", "no-such-cases.jsonl", *COMMON)
    assert status == 1
    assert "no-such-cases.jsonl" in err
    assert "no such file" in err


def test_html_without_the_report_extra_says_which_extra_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 now raises ImportError
    status, out, err = _run(capsys, "report", CASELOAD, *COMMON, "--format", "html")
    assert status == 2
    assert out == ""
    assert "pip install 'challenge-rules[report]'" in err


def test_html_is_one_self_contained_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    status, _, _ = _run(
        capsys, "report", CASELOAD, *COMMON, "--format", "html", "--output", str(page)
    )
    assert status == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<script" not in html
    for outside in ('href="http', "src=", "url(http", "@import", "<link"):
        assert outside not in html  # nothing fetched from anywhere
    assert html.count("<svg") == 6
    # Deterministic: the same report gives the same bytes.
    again = tmp_path / "again.html"
    main(["report", CASELOAD, *COMMON, "--format", "html", "--output", str(again)])
    assert again.read_bytes() == page.read_bytes()


def test_an_output_that_cannot_be_written_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder", encoding="utf-8")
    status, _, err = _run(
        capsys, "report", CASELOAD, *COMMON, "--format", "csv", "--output", str(taken)
    )
    assert status == 1
    assert f"cannot write {taken}" in err


def test_a_line_that_is_not_utf8_is_one_refused_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b'{"reference": "\xff"}\n' + json.dumps(DOCUMENTS[0]).encode() + b"\n")
    status, out, err = _run(capsys, "report", str(cases), *SMALL)
    assert status == 1
    assert "2 read, 1 refused" in out
    assert f"{cases}:1" in err
    assert "UTF-8" in err
