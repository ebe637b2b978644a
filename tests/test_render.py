"""`challenge_rules.render`: the sign-off document, in Markdown and in headless Chromium."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import markupsafe
import pytest
from hypothesis import given

from challenge_rules.cli import main
from challenge_rules.diagram import mermaid
from challenge_rules.errors import MissingExtra
from challenge_rules.loading import shipped_policies, shipped_policy
from challenge_rules.render import document, render
from challenge_rules.testing import policies

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from challenge_rules.policy import Policy

SHIPPED = shipped_policies()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "policies"
REGENERATE = "challenge-rules render {id} --format md -o docs/policies/{id}.md"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _expected_texts(policy_id: str) -> list[str]:
    """What the document must show: every stage name, every gap, every clause's quote."""
    policy = shipped_policy(policy_id)
    texts = [stage.name for stage in policy.all_stages()]
    texts += [gap.text for gap in policy.gaps]
    texts += [clause.quote for clause in policy.clauses if clause.quote]
    texts += [contact.name for contact in policy.contacts]
    texts += [exclusion.instead for exclusion in policy.scope.exclusions]
    return [_flat(t) for t in texts]


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_the_docs_page_is_the_markdown_rendering(policy_id: str) -> None:
    page = DOCS / f"{policy_id}.md"
    fix = "regenerate it: " + REGENERATE.format(id=policy_id)
    assert page.read_text(encoding="utf-8") == render(shipped_policy(policy_id), "md"), fix


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_the_markdown_states_every_rule_beside_its_clause(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    text = render(policy, "md")
    flat = _flat(text).replace("\\|", "|")
    for expected in _expected_texts(policy_id):
        assert expected in flat
    assert f"```mermaid\n{mermaid(policy)}```" in text
    view = document(policy)
    rules = [r for ladder in view["ladders"] for r in (*ladder.stages, *ladder.escalations)]
    rules += view["fallbacks"] + view["urgency"] + view["duties"]
    for rule in rules:
        assert _flat(rule.statement) in flat
        assert f"[`{rule.clause.id}`](#clauses)" in text


def test_the_document_names_the_version_its_days_and_the_digest_signed_off() -> None:
    from datetime import date  # noqa: PLC0415

    from challenge_rules import policy_digest  # noqa: PLC0415

    policy = attrs.evolve(
        shipped_policy("hips"),
        effective_until=date(2026, 12, 31),
        applies_to_open_cases=True,
    )
    for fmt in ("md", "html"):
        text = _flat(render(policy, fmt))
        assert policy_digest(policy) in text
        assert "effective from 2024-01-01 to 2026-12-31, and applies to the cases" in text


def test_markdown_table_cells_escape_pipes() -> None:
    policy = shipped_policy("dudley")
    gap = policy.gaps[0]
    changed = attrs.evolve(policy, gaps=(attrs.evolve(gap, text="a | b"), *policy.gaps[1:]))
    assert "| a \\| b |" in render(changed, "md")


def test_markdown_shows_a_policys_html_as_text_and_its_title_on_one_line() -> None:
    policy = shipped_policy("dudley")
    hostile = attrs.evolve(
        policy,
        title="Dudley\n# Injected <script>alert(1)</script>",
        summary="<img src=x onerror=alert(1)>",
    )
    text = render(hostile, "md")
    assert "<script" not in text
    assert "<img" not in text
    assert "\n# Dudley # Injected &lt;script>alert(1)&lt;/script>\n" in text
    assert "&lt;img src=x onerror=alert(1)>" in text


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_the_html_escapes_and_holds_one_ladder_picture_per_ladder(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    text = render(policy, "html")
    assert "<script" not in text
    assert text.count("<svg") == 1 + len(policy.tracks)
    for stage in policy.all_stages():
        assert html.escape(stage.name.split()[0]) in text


def test_the_html_in_chromium(browser: Browser, tmp_path: Path) -> None:
    for policy_id in SHIPPED:
        page = tmp_path / f"{policy_id}.html"
        assert main(["render", policy_id, "--format", "html", "-o", str(page)]) == 0
        shown = _render_page(browser, page, tmp_path / f"{policy_id}.png")
        assert shown.console_errors == ()
        flat = _flat(shown.text)
        for expected in _expected_texts(policy_id):
            assert expected in flat, (policy_id, expected)
        assert "Sign-off" in flat
        assert shown.screenshot.stat().st_size > 10_000


def test_the_html_prints(browser: Browser, tmp_path: Path) -> None:
    from _browser import print_to_pdf  # noqa: PLC0415

    page = tmp_path / "pan-cheshire.html"
    page.write_text(render(shipped_policy("pan-cheshire"), "html"), encoding="utf-8")
    pdf = print_to_pdf(browser, page, tmp_path / "pan-cheshire.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    # Several A4 pages: the whole document prints, not only the first screen.
    assert pdf.read_bytes().count(b"/Type /Page") > 5


def _render_page(browser: Browser, page: Path, screenshot: Path):
    from _browser import render as render_in_browser  # noqa: PLC0415

    return render_in_browser(browser, page, screenshot)


def test_the_ladder_picture_draws_every_stage(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "hips.html"
    page.write_text(render(shipped_policy("hips"), "html"), encoding="utf-8")
    tab = browser.new_page()
    try:
        tab.goto(page.resolve().as_uri())
        labels = tab.eval_on_selector_all(
            "svg.ladder text", "nodes => nodes.map(n => n.textContent)"
        )
        boxes = tab.eval_on_selector_all("svg.ladder rect", "nodes => nodes.length")
    finally:
        tab.close()
    assert boxes == 6  # five stages and where the ladder ends
    assert any(re.match(r"Stage 1: Discussion", label) for label in labels)
    assert "Ladder ends" in labels


@given(policies())
def test_any_valid_policy_renders_with_every_stage_and_gap(policy: Policy) -> None:
    for fmt in ("html", "md"):
        text = render(policy, fmt)
        for stage in policy.all_stages():
            assert (_html_text(stage.name) if fmt == "html" else _md_text(stage.name)) in text
        for gap in policy.gaps:
            assert (_html_text(gap.text) if fmt == "html" else _md_text(gap.text)) in text


def _html_text(text: str) -> str:
    return str(markupsafe.escape(text))


def _md_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def test_without_jinja2_rendering_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from challenge_rules import render as module  # noqa: PLC0415

    module._environment.cache_clear()
    monkeypatch.setitem(sys.modules, "jinja2", None)
    try:
        with pytest.raises(MissingExtra, match=r"challenge-rules\[render\]"):
            render(shipped_policy("hips"), "md")
        assert main(["render", "hips"]) == 2  # as serve and report: the installation, not the input
        assert "pip install 'challenge-rules[render]'" in capsys.readouterr().err
    finally:
        module._environment.cache_clear()


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="expected one of: html, md"):
        render(shipped_policy("hips"), "pdf")  # type: ignore[arg-type]


POLICIES = Path(__file__).parent / "policies"


def _test_policy(name: str) -> Policy:
    from challenge_rules.loading import load_policy  # noqa: PLC0415

    return load_policy(POLICIES / f"{name}.json")


def test_routes_are_stated_with_their_condition_action_timescale_and_clause() -> None:
    policy = _test_policy("structure")
    view = document(policy)
    (ladder,) = view["ladders"]
    urgent, otherwise = ladder.routes
    assert urgent.statement == (
        "Where the risk is assessed as At risk of significant harm while the stage is open, "
        "the Manager of each agency must, within 1 working day from the start of the stage: "
        "The managers resolve the matter urgently. This route keeps the stage's own participants."
    )
    assert urgent.clause.id == "step-2-urgent"
    assert otherwise.statement.startswith(
        "Otherwise, the Manager of each agency must, within 10 working days"
    )
    assert otherwise.statement.endswith("This route is the stage as it stands.")
    for fmt, say in (("md", _md_text), ("html", _html_text)):
        text = _flat(render(policy, fmt))
        for route in ladder.routes:
            assert say(route.statement) in text
            assert say(route.clause.quote or "") in text


def test_closing_without_agreement_and_the_action_plan_are_stated() -> None:
    policy = _test_policy("structure")
    view = document(policy)
    step_2 = view["ladders"][0].stages[1]
    assert "may close the case here without agreeing" in step_2.statement
    (plan,) = view["further"]
    assert plan.clause.id == "action-plan"
    assert "Once an action plan is agreed" in plan.statement
    for fmt, say in (("md", _md_text), ("html", _html_text)):
        assert say(plan.statement) in _flat(render(policy, fmt))


def test_due_soon_windows_are_stated_at_stage_track_and_policy_level() -> None:
    from challenge_rules.calendar import Timescale  # noqa: PLC0415
    from challenge_rules.policy import DueSoon, Track  # noqa: PLC0415

    policy = _test_policy("due-soon")
    track = Track(
        id="dissent",
        name="Dissent",
        clause=policy.stages[0].clause,
        natures=("dissent",),
        stages=(attrs.evolve(policy.stages[0], id="dissent-1", due_soon=None),),
        due_soon=DueSoon(Timescale("working_days", 2)),
    )
    policy = attrs.evolve(policy, tracks=(track,))
    view = document(policy)
    stage_notes = [note for rule in view["ladders"][0].stages for note in rule.notes]
    assert (
        "Due soon: this stage's actions count as due soon in the last 4 hours before it is due."
    ) in stage_notes
    assert view["ladders"][1].due_soon == (
        "Due soon: this track's actions count, where their stage does not say otherwise, "
        "as due soon in the last 2 working days before it is due."
    )
    (window,) = view["further"]
    assert window.statement == (
        "Due soon: an action counts, where its stage and track do not say otherwise, "
        "as due soon in the last 1 working day before it is due."
    )
    for fmt, say in (("md", _md_text), ("html", _html_text)):
        text = _flat(render(policy, fmt))
        for said in (*stage_notes, view["ladders"][1].due_soon, window.statement):
            assert say(said) in text


def test_who_else_is_told_names_each_roles_line_manager() -> None:
    policy = _test_policy("due-soon")
    roles = tuple(
        attrs.evolve(r, line_manager="line_manager") if r.id == "practitioner" else r
        for r in policy.roles
    )
    policy = attrs.evolve(policy, roles=roles, tell_line_managers=("due_soon", "breached"))
    told = document(policy)["further"][-1]
    assert told.statement == (
        "When an action becomes due soon or is late, the line managers of those it falls on "
        "are told too: the Practitioner by the Line manager."
    )
    assert _html_text(told.statement) in _flat(render(policy, "html"))


def test_a_clock_with_a_fallback_anchor_says_both() -> None:
    from challenge_rules import _wording  # noqa: PLC0415
    from challenge_rules.calendar import Timescale  # noqa: PLC0415
    from challenge_rules.policy import Anchor  # noqa: PLC0415

    said = _wording.timescale(
        Timescale("working_days", 5), Anchor.DECISION_RECEIVED, otherwise=Anchor.CONCERN
    )
    assert said == (
        "within 5 working days from receiving the disputed decision "
        "(or, where the case does not record that, from when the concern arose)"
    )


def test_routes_and_the_further_rules_show_in_chromium(browser: Browser, tmp_path: Path) -> None:
    policy = _test_policy("structure")
    page = tmp_path / "structure.html"
    page.write_text(render(policy, "html"), encoding="utf-8")
    shown = _render_page(browser, page, tmp_path / "structure.png")
    assert shown.console_errors == ()
    flat = _flat(shown.text)
    view = document(policy)
    for rule in (*view["ladders"][0].routes, *view["further"]):
        assert _flat(rule.statement) in flat
    assert "Action plans, due soon and who is told" in flat
