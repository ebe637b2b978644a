"""`challenge_rules.diagram.mermaid`: the structure of the flowcharts, and the docs' copies."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from challenge_rules.diagram import ROUTES_DRAWN, escape, mermaid
from challenge_rules.loading import load_policy, shipped_policies, shipped_policy
from challenge_rules.policy import (
    Actor,
    Clause,
    Escalation,
    Exclusion,
    Fallback,
    FallbackThen,
    FallbackWhen,
    Partnership,
    Policy,
    RiskLevel,
    Role,
    Scope,
    Side,
    Source,
    Stage,
    Track,
    UrgencyRule,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "policies"
SHIPPED = shipped_policies()
EDGE = re.compile(r"\s(-->|-\.->|==>|-\.-)[\s|]")
MERMAID_BLOCK = re.compile(
    r"^```(?:\{mermaid\}|mermaid)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL
)


def edges(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if EDGE.search(line)]


def node_line(text: str, node: str) -> str:
    lines = [line.strip() for line in text.splitlines() if re.match(rf"\s*{node}[\[(/{{]", line)]
    assert len(lines) == 1, (node, lines)
    return lines[0]


def expected_edges(policy: Policy) -> int:
    """Start, resolved and unresolved per stage, fallback joins, urgency and skip edges."""
    stages = list(policy.all_stages())
    ids = {s.id for s in stages}
    count = len(policy.tracks) + 1 + 2 * len(stages)
    count += sum(len(s.routes) for s in stages if len(s.routes) <= ROUTES_DRAWN)
    for fallback in policy.fallbacks:
        count += len([s for s in (fallback.stages or tuple(ids)) if s in ids])
    for rule in policy.urgency:
        count += len(rule.stages) if rule.stages else 1
        count += rule.skip_to is not None
    return count


@pytest.fixture(params=SHIPPED)
def policy(request: pytest.FixtureRequest) -> Policy:
    return shipped_policy(request.param)


def test_shape_of_every_shipped_diagram(policy: Policy) -> None:
    text = mermaid(policy)
    assert text.startswith("flowchart TD\n")
    assert text.endswith("\n")
    assert text == mermaid(policy)  # deterministic
    assert len(edges(text)) == expected_edges(policy)
    resolved = re.findall(r'-->\|"resolved"\| resolved$', text, re.MULTILINE)
    assert len(resolved) == len(list(policy.all_stages()))  # tracks' stages too
    # every line's quotes pair up: no label leaks a raw quote
    assert all(line.count('"') % 2 == 0 for line in text.splitlines())


def test_every_stage_is_a_node_with_its_timescale(policy: Policy) -> None:
    text = mermaid(policy)
    for stage in policy.all_stages():
        node = "st_" + re.sub(r"[^A-Za-z0-9_]", "_", stage.id)
        line = node_line(text, node)
        assert escape(stage.name) in line
        if stage.timescale is None:
            assert "no timescale in source" in line
        else:
            assert str(stage.timescale) in line
        if stage.on_unresolved is None:
            assert re.search(rf'^\s*{node} -->\|"unresolved"\| stop_', text, re.MULTILINE)
        else:
            assert re.search(rf'^\s*{node} -\.?->\|"unresolved: ', text, re.MULTILINE)


def test_pan_cheshire_diagram() -> None:
    text = mermaid(shipped_policy("pan-cheshire"))
    assert "start --> st_practitioners" in text
    assert re.search(r"st_practitioners -->\|\"unresolved: Notify your line manager", text)
    assert re.search(r"st_step_2 -->\|\"unresolved: [^\n]*\| st_step_3", text)
    assert "within 12 working days from the concern" in node_line(text, "st_step_2")
    assert len(re.findall(r"^\s*st_step_2 -\.- fb_dsl_is_line_manager_", text, re.MULTILINE)) == 5
    assert "st_practitioners -.- fb_practitioner_away" in text
    assert "st_step_1 -.- fb_line_manager_away" in text
    front_door = node_line(text, "ur_significant_harm_front_door")
    assert front_door.startswith("ur_significant_harm_front_door{{")
    assert "Significant harm" in front_door
    assert "front door now" in front_door
    assert 'start -.->|"at any stage, if at risk"| ur_significant_harm_front_door' in text
    assert 'st_step_1 -.->|"if at risk"| ur_risk_of_harm_managers' in text
    assert "==>" not in text  # the source allows no skipping of steps
    assert "Ladder ends" in node_line(text, "stop_main")


def test_optional_stage_is_dashed() -> None:
    text = mermaid(shipped_policy("darlington"))
    assert re.search(r"^\s*class [^\n]*\bst_stage_3\b[^\n]* optional$", text, re.MULTILINE)
    assert re.search(r"st_stage_2 -\.->\|\"unresolved: [^\n]*\| st_stage_3", text)
    assert "(optional stage)" in node_line(text, "st_stage_3")


def test_escalation_timescale_on_the_edge() -> None:
    text = mermaid(shipped_policy("hips"))
    edge = r"st_stage_4 -->\|\"unresolved: E-mail [^\n]*\(within 2 working days\)\"\| st_stage_5"
    assert re.search(edge, text)
    assert "no timescale in source" in node_line(text, "st_stage_5")


def test_excluded_nature_draws_the_redirection() -> None:
    text = mermaid(shipped_policy("hips"), nature="complaint")
    assert "Not for this procedure" in text
    assert "complaints process" in text
    assert "st_stage_1" not in text


# --- a synthetic policy: hostile text, tracks, skips ----------------------------------

HOSTILE = 'Stage "A" [x] {y} #1 <b>bold</b> | pipe `tick` & more\nnext line'


def synthetic() -> Policy:
    clause = Clause(id="c", source="s", section="S")
    raising, receiving = Actor("worker", Side.RAISING), Actor("worker", Side.RECEIVING)

    def stage(stage_id: str, name: str, *, last: bool = False, **kwargs: object) -> Stage:
        escalation = None if last else Escalation(clause="c", action=HOSTILE, by=raising)
        return Stage(
            id=stage_id,
            name=name,
            clause="c",
            action="act",
            participants=(raising, receiving),
            on_unresolved=escalation,
            **kwargs,  # type: ignore[arg-type]
        )

    return Policy(
        id="hostile",
        title="Hostile",
        version="1",
        effective_from=__import__("datetime").date(2024, 1, 1),
        protects=("children",),
        partnerships=(Partnership(id="p", name="P", area="P"),),
        sources=(Source(id="s", title="S"),),
        clauses=(clause,),
        roles=(Role(id="worker", name='Worker "W" #1'), Role(id="boss", name="Boss [B]")),
        risk_levels=(RiskLevel(id="harm", name="Harm <now>"),),
        stages=(
            stage("end", HOSTILE),
            stage("a b", "Second", optional=True),
            stage("a-b", "Third", last=True, final_note="Stops {here}"),
        ),
        tracks=(
            Track(
                id="cpc",
                name="Conference [dissent]",
                clause="c",
                natures=("child_protection_conference",),
                stages=(stage("t1", "Dissent", last=True),),
            ),
        ),
        fallbacks=(
            Fallback(
                id="away",
                clause="c",
                role="worker",
                when=FallbackWhen(absent=True),
                then=FallbackThen(substitutes=("boss",)),
            ),
        ),
        urgency=(UrgencyRule(id="u", clause="c", risks=("harm",), skip_to="a-b", stages=("end",)),),
        scope=Scope(
            exclusions=(
                Exclusion(id="x", clause="c", natures=("complaint",), instead='Use "complaints"'),
            )
        ),
    )


def test_hostile_text_is_escaped() -> None:
    text = mermaid(synthetic())
    escaped = escape(HOSTILE)
    assert escaped == (
        "Stage #quot;A#quot; #91;x#93; #123;y#125; #35;1 #lt;b#gt;bold#lt;/b#gt; "
        "#124; pipe #96;tick#96; #38; more next line"
    )
    assert escaped in node_line(text, "st_end")
    for raw in ("<b>", "[x]", "{y}", "`tick`", "| pipe", "#1 ", '"A"', "{here}", "<now>"):
        assert raw not in text
    assert "#lt;now#gt;" in text
    assert "Stops #123;here#125;" in text
    assert "Worker #quot;W#quot; #35;1" in text
    assert all(line.count('"') % 2 == 0 for line in text.splitlines())
    # the only "<" and ">" left are the diagram's own line breaks and arrows
    assert set(re.findall(r"<[^>]*>", text)) == {"<br/>"}


def test_ids_are_sanitised_and_unique() -> None:
    text = mermaid(synthetic())
    for node in ("st_end", "st_a_b", "st_a_b_2", "st_t1"):
        node_line(text, node)
    # st_a_b is optional: the edge into it is dashed
    assert re.search(r"st_end -\.->\|\"unresolved: [^\n]*\| st_a_b$", text, re.MULTILINE)
    assert re.search(r"st_a_b -->\|\"unresolved: [^\n]*\| st_a_b_2$", text, re.MULTILINE)


def test_tracks_are_subgraphs_and_skips_are_drawn() -> None:
    policy = synthetic()
    text = mermaid(policy)
    assert len(edges(text)) == expected_edges(policy)
    subgraph = r'^\s*subgraph tr_cpc\["Track: Conference #91;dissent#93;"\]$'
    assert re.search(subgraph, text, re.MULTILINE)
    assert re.search(r"^\s*end$", text, re.MULTILINE)
    assert 'start -->|"child protection conference"| st_t1' in text
    assert 'ur_u ==>|"may go straight to"| st_a_b_2' in text
    assert 'st_end -.->|"if at risk"| ur_u' in text
    assert re.search(r"^\s*class st_a_b optional$", text, re.MULTILINE)
    # the fallback applies to every stage, on the main ladder and the track
    assert len(re.findall(r" -\.- fb_away$", text, re.MULTILINE)) == 4


def test_nature_selects_a_ladder() -> None:
    policy = synthetic()
    track = mermaid(policy, nature="child_protection_conference")
    assert "st_t1" in track
    assert "st_end" not in track
    main = mermaid(policy, nature="case")
    assert "st_end" in main
    assert "subgraph" not in main
    excluded = mermaid(policy, nature="complaint")
    assert "Use #quot;complaints#quot;" in excluded
    assert "st_" not in excluded


# --- the docs never drift ---------------------------------------------------------------


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_docs_page_diagram_is_current(policy_id: str) -> None:
    page = DOCS / f"{policy_id}.md"
    assert page.is_file(), f"no docs page for {policy_id}"
    blocks = [m["body"] for m in MERMAID_BLOCK.finditer(page.read_text(encoding="utf-8"))]
    fix = f"regenerate it: challenge-rules render {policy_id} --format md -o {page}"
    assert blocks == [mermaid(shipped_policy(policy_id))], f"{page} is out of date: {fix}"


def test_docs_index_lists_every_policy() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for policy_id in SHIPPED:
        assert f"{policy_id}.md" in index


STRUCTURE = load_policy(Path(__file__).parent / "policies" / "structure.json")


def test_routes_are_drawn_as_labelled_alternatives_of_their_stage() -> None:
    text = mermaid(STRUCTURE)
    assert len(edges(text)) == expected_edges(STRUCTURE)
    urgent = node_line(text, "rt_step_2_urgent")
    assert "Route urgent" in urgent
    assert "The managers resolve the matter urgently." in urgent
    assert "Timescale: within 1 working day from the start of the stage" in urgent
    assert "as the stage says" in node_line(text, "rt_step_2_otherwise")
    condition = "where the risk is assessed as At risk of significant harm while the stage is open"
    assert f'st_step_2 -.->|"{condition}"| rt_step_2_urgent' in text
    assert 'st_step_2 -.->|"otherwise"| rt_step_2_otherwise' in text
    assert re.search(r"^\s*class rt_step_2_urgent,rt_step_2_otherwise route$", text, re.MULTILINE)
    assert "classDef route" in text
    assert "classDef route" not in mermaid(shipped_policy("hips"))  # only where drawn


def test_many_routes_are_listed_in_the_stage_not_drawn() -> None:
    step_2 = STRUCTURE.stages[1]
    extra = tuple(attrs.evolve(step_2.routes[0], id=f"urgent-{n}") for n in range(ROUTES_DRAWN))
    many = attrs.evolve(step_2, routes=(*extra, step_2.routes[-1]))
    policy = attrs.evolve(STRUCTURE, stages=(STRUCTURE.stages[0], many, STRUCTURE.stages[2]))
    text = mermaid(policy)
    assert "rt_" not in text
    assert "Routes: urgent-0, urgent-1, urgent-2, otherwise" in node_line(text, "st_step_2")
    assert len(edges(text)) == expected_edges(policy)
