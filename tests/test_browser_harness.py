"""The headless-browser harness itself: it sees what a page shows and what it complains of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from _browser import render

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser


def test_render_reads_the_text_and_the_console_errors(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><body><h1>Stage 2</h1>"
        "<script>console.error('broken chart')</script></body></html>",
        encoding="utf-8",
    )
    shown = render(browser, page, tmp_path / "page.png")
    assert "Stage 2" in shown.text
    assert shown.console_errors == ("broken chart",)
    assert shown.screenshot.read_bytes().startswith(b"\x89PNG")


def test_a_clean_page_has_no_console_errors(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body><p>Resolved</p></body></html>", encoding="utf-8")
    assert render(browser, page, tmp_path / "page.png").console_errors == ()
