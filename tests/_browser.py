"""Render HTML in a real headless Chromium, for the tests of pages people read.

Debian's ``chromium`` package is the browser; Playwright (the ``test`` extra)
drives it through ``executable_path``, so no browser is ever downloaded. Where
Chromium is missing and this process may install system packages (root, with
``apt-get``), the first test that needs it installs Debian's package, once;
``CHALLENGE_RULES_NO_BROWSER_INSTALL=1`` forbids that. Where it still cannot
be had, the tests that need it are skipped with a message saying why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

# The flags the machine needs: without the background-networking ones, Chromium
# keeps trying hosts a closed network refuses.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

INSTALL_TIMEOUT_SECONDS = 600


def find_chromium() -> str | None:
    """The path of an installed Chromium, or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _may_install() -> bool:
    if os.environ.get("CHALLENGE_RULES_NO_BROWSER_INSTALL", "").strip() not in {"", "0"}:
        return False
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def install_chromium() -> str:
    """Install Debian's chromium package; the reason it could not be had, or ''."""
    if not _may_install():
        return (
            "Chromium is not installed and this process may not install it "
            "(install Debian's 'chromium' package, or run as root with apt-get)"
        )
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        try:
            subprocess.run(  # noqa: S603 - fixed commands, no shell
                command,
                check=True,
                capture_output=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                env=environment,
            )
        except (OSError, subprocess.SubprocessError) as error:
            return f"installing Chromium failed ({' '.join(command)}: {error})"
    return "" if find_chromium() else "apt-get installed chromium but no browser is on PATH"


@attrs.frozen
class Rendered:
    """What a page showed: its visible text, what it printed to the console, its picture."""

    text: str
    console_errors: tuple[str, ...]
    screenshot: Path


def render(browser: Browser, page_path: Path, screenshot: Path, *, width: int = 1200) -> Rendered:
    """Open a local HTML file, collect console errors and page errors, take a full-page PNG."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(screenshot), full_page=True)
        text = page.inner_text("body")
    finally:
        page.close()
    return Rendered(text=text, console_errors=tuple(errors), screenshot=screenshot)


def print_to_pdf(browser: Browser, page_path: Path, pdf: Path) -> Path:
    """Print a local HTML file as the browser prints it (A4), to check print styles."""
    page = browser.new_page()
    try:
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4")
    finally:
        page.close()
    return pdf


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the whole session; skips where none can be had."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only browser tests need it
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    executable = find_chromium()
    if executable is None:
        reason = install_chromium()
        if reason:
            pytest.skip(reason)
        executable = find_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()
