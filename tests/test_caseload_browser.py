"""The HTML caseload report in a real headless Chromium: what a business manager sees.

With ``CHALLENGE_RULES_UPDATE_SCREENSHOTS=1`` the test also writes the picture
the docs show (``docs/_static/caseload-report.png``) from the page it checked;
otherwise it checks that the committed picture has the size this test makes and
shows the charts' bars.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from _browser import print_to_pdf, render
from challenge_rules import shipped_policy
from challenge_rules.caseload import build_report, read_cases, render_html
from challenge_rules.cli import main

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parent.parent
CASELOAD = REPO / "examples" / "caseload" / "pan-cheshire-caseload.jsonl"
AS_OF = "2026-04-01T09:00:00+01:00"
DOCS_SCREENSHOT = REPO / "docs" / "_static" / "caseload-report.png"
CHARTS = (
    "periods",
    "stages",
    "resolution_bands",
    "raising_agency",
    "receiving_agency",
    "breaches_by_stage",
)
BAR = (0x1F, 0x5F, 0x8B)  # the charts' first colour


def _bar_pixels(picture: Image.Image, box: dict[str, float]) -> int:
    region = picture.convert("RGB").crop(
        (int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"]))
    )
    return sum(
        n
        for n, colour in region.getcolors(maxcolors=1 << 20) or ()
        if all(abs(a - b) < 12 for a, b in zip(colour, BAR, strict=True))
    )


@pytest.fixture(scope="module")
def page_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The one command the README shows, run as a reader runs it.
    page = tmp_path_factory.mktemp("caseload") / "caseload-report.html"
    argv = ["report", str(CASELOAD), "--policy", "pan-cheshire", "--as-of", AS_OF]
    assert main([*argv, "--format", "html", "--output", str(page)]) == 0
    return page


def test_the_report_renders_with_its_figures_and_charts(
    browser: Browser, page_path: Path, tmp_path: Path
) -> None:
    policy = shipped_policy("pan-cheshire")
    from datetime import datetime  # noqa: PLC0415

    report = build_report(policy, read_cases(CASELOAD, policy), datetime.fromisoformat(AS_OF))
    assert render_html(report) == page_path.read_text(encoding="utf-8")

    shown = render(browser, page_path, tmp_path / "caseload.png")
    assert shown.console_errors == ()
    for text in (
        "Escalation caseload report",
        "concerns counted",
        "Stages reached, and working days spent in each",
        "The partnership's record of escalations",
        "Drifting cases, longest without an event first",
        "Open cases at the end of each month",
    ):
        assert text in shown.text
    status = report.table("status")
    assert f"{report.counted}\nconcerns counted" in shown.text
    assert f"{status.cell('open', 'cases')}\nopen" in shown.text
    assert "PC-SYN-" in shown.text  # cases by reference

    # Each chart is drawn, visible and big enough to read, and its bars are on the picture.
    page = browser.new_page(viewport={"width": 1200, "height": 900}, java_script_enabled=False)
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        boxes = {}
        for chart in CHARTS:
            svg = page.locator(f"#chart-{chart} svg")
            assert svg.is_visible(), chart
            box = svg.bounding_box()
            assert box is not None
            assert box["width"] > 250, chart
            assert box["height"] > 100, chart
            assert page.locator(f"#chart-{chart} svg text").count() > 3, chart  # labels as text
            boxes[chart] = box
        tick_labels = page.locator("#chart-stages svg text").all_text_contents()
        assert {"practitioners", "step-1", "step-2", "step-3"} <= {t.strip() for t in tick_labels}
    finally:
        page.close()
    picture = Image.open(shown.screenshot)
    assert picture.width == 1200
    assert picture.height > 3000  # the whole page, not just the first screen
    for chart in ("stages", "resolution_bands", "raising_agency", "breaches_by_stage"):
        assert _bar_pixels(picture, boxes[chart]) > 300, chart
    assert _bar_pixels(picture, {"x": 0, "y": 0, "width": 1200, "height": 60}) == 0

    # The docs show the top of this same page.
    top = tmp_path / "caseload-top.png"
    picture.crop((0, 0, 1200, 1500)).save(top, optimize=True)
    if os.environ.get("CHALLENGE_RULES_UPDATE_SCREENSHOTS", "").strip() not in {"", "0"}:
        shutil.copyfile(top, DOCS_SCREENSHOT)
    committed = Image.open(DOCS_SCREENSHOT)
    assert committed.size == (1200, 1500)
    assert _bar_pixels(committed, {"x": 0, "y": 0, "width": 1200, "height": 1500}) > 1000


def test_the_report_prints(browser: Browser, page_path: Path, tmp_path: Path) -> None:
    pdf = print_to_pdf(browser, page_path, tmp_path / "caseload.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3
