"""The shipped policies: they load, they validate, and they say what their sources say.

Faithfulness checks read the seed documents in ``../shared/seeds`` (beside the
clone) and are skipped where that directory is absent: every clause quote from
a seed extract must occur in it (whitespace and quote marks normalised), and so
must every contact detail, form field label and template question taken from it.
Policies drawn from public pages read for this project keep the passages their
clauses quote in ``policies/sources/<id>.txt`` (named by the source's
``document``), and are checked against them on every run. Clauses from public
procedure pages known only through the seeds' SUPPLEMENT.md (which paraphrases
them) carry no quote and are not checked word for word.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import challenge_rules
from challenge_rules.calendar import Timescale, Unit
from challenge_rules.converter import make_converter
from challenge_rules.loading import policy_problems, shipped_policies, shipped_policy
from challenge_rules.policy import Anchor, Policy, Stage

POLICIES = Path(challenge_rules.__file__).parent / "policies"
SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
EXCERPTS = POLICIES / "sources"
SCHEMA_URL = "https://challenge-rules.readthedocs.io/schemas/policy.schema.json"
OURS = (
    "darlington",
    "dorset-bcp-sab",
    "dudley",
    "hips",
    "pan-cheshire",
    "pan-sussex",
    "south-tyneside",
    "stoke-on-trent",
    "sunderland-sab",
)
# Encoded from public pages read for this project, with the excerpts their clauses quote.
FROM_EXCERPTS = ("dorset-bcp-sab", "pan-sussex", "south-tyneside", "sunderland-sab")
SHIPPED = tuple(sorted(p.stem for p in POLICIES.glob("*.json")))
CLAUSE_KEYS = {"clause", "applies_clause", "timescale_clause"}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """Curly quotes made straight, runs of whitespace made one space."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def document(policy_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((POLICIES / f"{policy_id}.json").read_text(encoding="utf-8"))
    return data


def seed_text(name: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"no seed documents at {SEEDS}")
    path = SEEDS / name
    assert path.is_file(), f"seed document {name} is missing"
    return normalise(path.read_text(encoding="utf-8"))


def excerpt_text(name: str) -> str:
    path = POLICIES / name
    assert path.is_file(), f"excerpt {name} is missing"
    return normalise(path.read_text(encoding="utf-8"))


def is_excerpt(source: dict[str, Any]) -> bool:
    return str(source.get("document") or "").startswith("sources/")


def seed_sources(data: dict[str, Any]) -> dict[str, str]:
    """Source id -> file name, for the sources whose words the policy quotes.

    Seed extracts (in ``../shared/seeds``) and the excerpts kept beside the
    shipped policies (``sources/<id>.txt``).
    """
    return {
        s["id"]: s["document"]
        for s in data["sources"]
        if s.get("kind") == "seed-extract" or is_excerpt(s)
    }


def quoted_text(name: str) -> str:
    """The normalised text of a seed extract or of a kept excerpt."""
    return excerpt_text(name) if name.startswith("sources/") else seed_text(name)


def clause_sources(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["source"] for c in data["clauses"]}


def cited(node: object) -> set[str]:
    """Every clause id the document cites, anywhere but in the clause list itself."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "clauses":
                continue
            if key in CLAUSE_KEYS and isinstance(value, str):
                found.add(value)
            else:
                found |= cited(value)
    elif isinstance(node, list):
        for item in node:
            found |= cited(item)
    return found


def test_all_shipped() -> None:
    assert set(OURS) <= set(SHIPPED)
    assert shipped_policies() == SHIPPED


@pytest.fixture(params=SHIPPED)
def policy_id(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


# --- loading and validation ---------------------------------------------------------


def test_structures_with_the_converter(policy_id: str) -> None:
    data = document(policy_id)
    assert data.pop("$schema") == SCHEMA_URL
    policy = make_converter().structure(data, Policy)
    assert policy.id == policy_id


def test_check_policy_finds_no_errors(policy_id: str) -> None:
    problems = tuple(p.with_source(policy_id) for p in policy_problems(document(policy_id)))
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, "\n".join(f"{p.pointer}: {p.message}" for p in errors)


def test_loads_by_id(policy_id: str) -> None:
    assert shipped_policy(policy_id).id == policy_id


def test_file_is_formatted(policy_id: str) -> None:
    text = (POLICIES / f"{policy_id}.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


# --- citations -----------------------------------------------------------------------


def test_every_clause_is_cited_and_every_citation_resolves(policy_id: str) -> None:
    data = document(policy_id)
    ids = {c["id"] for c in data["clauses"]}
    used = cited(data)
    assert not ids - used, f"clauses nothing cites: {sorted(ids - used)}"
    assert not used - ids, f"citations of missing clauses: {sorted(used - ids)}"


def test_every_clause_source_exists(policy_id: str) -> None:
    data = document(policy_id)
    sources = {s["id"] for s in data["sources"]}
    for clause in data["clauses"]:
        assert clause["source"] in sources, clause["id"]
        assert clause["section"].strip(), clause["id"]


def test_every_source_is_cited(policy_id: str) -> None:
    data = document(policy_id)
    assert {s["id"] for s in data["sources"]} == set(clause_sources(data).values())


def test_public_page_clauses_have_no_quote_and_say_what_was_taken(policy_id: str) -> None:
    data = document(policy_id)
    pages = {s["id"] for s in data["sources"] if s.get("kind") == "public-page"}
    for source in data["sources"]:
        if source["id"] in pages:
            assert "SUPPLEMENT.md" in source["note"]
    for clause in data["clauses"]:
        if clause["source"] in pages:
            assert clause.get("quote") is None, clause["id"]
            assert "taken from it" in clause["section"], clause["id"]


def test_quotes_occur_in_the_seed_text(policy_id: str) -> None:
    data = document(policy_id)
    seeds = seed_sources(data)
    checked = 0
    for clause in data["clauses"]:
        if clause["source"] not in seeds:
            continue
        assert clause.get("quote"), f"{clause['id']}: a seed clause needs a quote"
        text = quoted_text(seeds[clause["source"]])
        assert normalise(clause["quote"]) in text, clause["id"]
        checked += 1
    assert checked


def test_contact_details_occur_in_the_seed_text(policy_id: str) -> None:
    data = document(policy_id)
    seeds, sources = seed_sources(data), clause_sources(data)
    for contact in data.get("contacts", []):
        source = sources[contact["clause"]]
        if source not in seeds:
            continue
        text = quoted_text(seeds[source])
        for key in ("email", "phone", "hours"):
            if contact.get(key):
                assert normalise(contact[key]) in text, f"{contact['id']} {key}"


def test_form_labels_and_template_questions_occur_in_the_seed_text(policy_id: str) -> None:
    data = document(policy_id)
    seeds, sources = seed_sources(data), clause_sources(data)
    for form in data.get("forms", []):
        if sources[form["clause"]] in seeds:
            text = quoted_text(seeds[sources[form["clause"]]])
            for item in form["fields"]:
                assert normalise(item["label"]) in text, item["id"]
    for guidance in data.get("guidance", []):
        if guidance["kind"] not in {"template", "prompts"}:
            continue
        text = quoted_text(seeds[sources[guidance["clause"]]])
        for item in guidance["items"]:
            question = item.split(": ", 1)[1] if guidance["kind"] == "prompts" else item
            assert normalise(question) in text, item


@pytest.mark.parametrize("name", FROM_EXCERPTS)
def test_excerpt_sources_say_where_and_when_they_were_read(name: str) -> None:
    for source in document(name)["sources"]:
        assert is_excerpt(source), source["id"]
        assert source["url"].startswith(("http://", "https://")), source["id"]
        assert source["retrieved"], source["id"]
        assert source["publisher"], source["id"]
        header = (POLICIES / source["document"]).read_text(encoding="utf-8")
        assert source["url"] in header, f"{source['document']} does not name {source['url']}"
        assert f"Read: {source['retrieved']}" in header, source["document"]


def test_every_kept_excerpt_is_a_policy_source() -> None:
    named = {s["document"] for p in SHIPPED for s in document(p)["sources"] if is_excerpt(s)}
    kept = {f"sources/{path.name}" for path in EXCERPTS.glob("*.txt")}
    assert kept == named


def test_gaps_are_in_the_id_form_and_say_which_kind_they_are(policy_id: str) -> None:
    gaps = document(policy_id)["gaps"]
    assert gaps
    for gap in gaps:
        assert set(gap) == {"id", "kind", "about", "text"}, gap
        # The kind is a field, not words at the start of the text.
        assert not gap["text"].startswith(("Source silent", "Format cannot say")), gap["id"]


# --- what the file must say about its own gaps -----------------------------------------


def test_stages_without_a_timescale_say_so(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    about = {gap.about for gap in policy.gaps}
    for stage in policy.stages:
        if stage.timescale is None:
            assert stage.timescale_note, stage.id
            assert f"/stages/{stage.id}/timescale" in about, stage.id


def test_a_date_not_stated_is_a_named_gap(policy_id: str) -> None:
    policy = shipped_policy(policy_id)
    if not any(source.published for source in policy.sources):
        assert "/effective_from" in {gap.about for gap in policy.gaps}
        assert any("effective_from" in (source.note or "") for source in policy.sources)


def test_seed_extracts_name_their_files(policy_id: str) -> None:
    for source in shipped_policy(policy_id).sources:
        if source.kind == "seed-extract":
            assert source.document
            if SEEDS.is_dir():
                assert (SEEDS / source.document).is_file()


# --- the encoding of each source ---------------------------------------------------------

WD, HOURS, NOW = Unit.WORKING_DAYS, Unit.HOURS, Unit.IMMEDIATELY
CONCERN, ENTERED, PREVIOUS = Anchor.CONCERN, Anchor.STAGE_ENTERED, Anchor.PREVIOUS_STAGE_CONCLUDED
NOTIFIED = Anchor.ESCALATED


def ladder(policy: Policy) -> list[tuple[str, tuple[Unit, int] | None, Anchor, bool]]:
    def timing(stage: Stage) -> tuple[Unit, int] | None:
        ts = stage.timescale
        return None if ts is None else (ts.unit, ts.amount)

    return [(s.id, timing(s), s.counts_from, s.optional) for s in policy.stages]


LADDERS = {
    "pan-cheshire": [
        ("practitioners", (HOURS, 48), CONCERN, False),
        # "within 5 working days of being notified of the escalation"
        ("step-1", (WD, 5), NOTIFIED, False),
        ("step-2", (WD, 12), CONCERN, False),
        ("step-3", (WD, 18), CONCERN, False),
    ],
    "hips": [
        ("stage-1", (WD, 2), CONCERN, False),
        ("stage-2", (WD, 2), PREVIOUS, False),
        ("stage-3", (WD, 2), PREVIOUS, False),
        ("stage-4", (WD, 2), PREVIOUS, False),
        ("stage-5", None, ENTERED, False),
    ],
    "darlington": [
        ("stage-1", (WD, 1), CONCERN, False),
        ("stage-2", (WD, 3), ENTERED, False),
        ("stage-3", None, ENTERED, True),
    ],
    "stoke-on-trent": [
        # "as effectively and swiftly as possible"
        ("step-1", (Unit.WITHOUT_DELAY, 0), ENTERED, False),
        ("step-2", None, ENTERED, False),
        ("step-3", None, ENTERED, False),
    ],
    # "as simply and quickly as possible"
    "dudley": [("first-instance", (Unit.WITHOUT_DELAY, 0), ENTERED, False)],
    "dorset-bcp-sab": [
        ("practitioners", (WD, 1), CONCERN, False),
        ("informal", None, ENTERED, False),
        ("formal", None, ENTERED, False),
        ("director", (WD, 1), ENTERED, False),
    ],
    # "usually within a working week or a timescale that protects the child from harm"
    "pan-sussex": [("professionals", (WD, 5), CONCERN, False)],
    "sunderland-sab": [
        # "immediately ... within a maximum of 3 working days of identifying the concern"
        ("stage-one", (NOW, 0), Anchor.IDENTIFIED, False),
        ("stage-two", None, ENTERED, False),
    ],
    "south-tyneside": [
        ("representatives", None, ENTERED, False),
        ("partnership", None, ENTERED, False),
    ],
}

AREAS = {
    "pan-cheshire": {"cheshire-west-and-chester", "cheshire-east", "halton", "warrington"},
    "hips": {"hampshire", "isle-of-wight", "portsmouth", "southampton"},
    "darlington": {"darlington"},
    "stoke-on-trent": {"stoke-on-trent"},
    "dudley": {"dudley"},
    "dorset-bcp-sab": {"bcp", "dorset"},
    "pan-sussex": {"brighton-and-hove", "east-sussex", "west-sussex"},
    "sunderland-sab": {"sunderland"},
    "south-tyneside": {"south-tyneside"},
}

PROTECTS = {
    "pan-cheshire": ("children",),
    "hips": ("children",),
    "darlington": ("children", "adults"),
    "stoke-on-trent": ("children",),
    "dudley": ("children", "adults"),
    "dorset-bcp-sab": ("adults",),
    "pan-sussex": ("children",),
    "sunderland-sab": ("adults",),
    "south-tyneside": ("children", "adults"),
}


@pytest.mark.parametrize("name", OURS)
def test_ladder_areas_and_protects(name: str) -> None:
    policy = shipped_policy(name)
    assert ladder(policy) == LADDERS[name]
    assert {p.id for p in policy.partnerships} == AREAS[name]
    assert policy.protects == PROTECTS[name]


@pytest.mark.parametrize(
    ("name", "purpose"),
    [
        ("pan-cheshire", "step-3-referral"),
        ("pan-cheshire", "front-door"),
        ("pan-cheshire", "out-of-hours"),
        ("hips", "lscp-referral"),
    ],
)
def test_every_area_has_its_contact(name: str, purpose: str) -> None:
    policy = shipped_policy(name)
    for area in AREAS[name]:
        local = [c for c in policy.contacts_for(purpose, area) if c.area == area]
        assert len(local) == 1, (purpose, area)


def test_pan_cheshire_details() -> None:
    policy = shipped_policy("pan-cheshire")
    form = next(f for f in policy.forms if f.id == "appendix-a")
    personal = {f.id for f in form.fields if f.personal}
    assert personal == {"child-name", "date-of-birth", "address"}
    assert all(f.fill_from is None for f in form.fields if f.personal)
    assert {f.fill_from for f in form.fields} >= {
        "escalated_by:step-1",
        "escalated_by:step-2",
        "concluded_at:step-2",
    }
    assert form.submit_to == "step-3-referral"
    assert policy.stage("step-3").forms == ("appendix-a",)
    support = {
        f.when.sectors: f.then.seek_support_from for f in policy.fallbacks if f.when.also_holds
    }
    assert support == {
        ("early-years",): ("la-early-years-team",),
        ("school",): ("scie",),
        ("college",): ("scie",),
        ("general-practice",): ("named-doctor",),
        ("hospital",): ("designated-doctor", "designated-nurse"),
    }
    absent = {f.role: f.then.substitutes for f in policy.fallbacks if f.when.absent}
    assert absent == {
        "practitioner": ("line-manager",),
        "line-manager": ("line-manager-equivalent", "line-managers-line-manager"),
    }
    front_door = next(r for r in policy.urgency if r.immediate_actions)
    assert front_door.risks == ("significant-harm",)
    # Out of hours the front door is the Emergency Duty Team: contacting either does it.
    assert front_door.immediate_actions[0].discharged_by.where == {
        "purpose": ("front-door", "out-of-hours")
    }
    records = [d for d in policy.duties if d.id.startswith("record-escalation-")]
    assert sorted(s for d in records for s in d.trigger.stages) == ["step-1", "step-2", "step-3"]
    partnership = [d for d in policy.duties if d.who.role == "safeguarding-partnership"]
    assert {d.discharged_by.where["record"] for d in partnership} == {"partnership_record"}


def test_hips_details() -> None:
    policy = shipped_policy("hips")
    assert {e.id: e.natures for e in policy.scope.exclusions} == {
        "systemic": ("systemic",),
        "complaints": ("complaint",),
        "child-protection-conferences": ("child_protection_conference",),
    }
    assert len(policy.scope.applies_when) == 3
    learning = next(d for d in policy.duties if d.id == "disseminate-learning")
    assert learning.timescale == Timescale(Unit.MONTHS, 1)
    assert learning.trigger.event is not None
    assert learning.trigger.event.where == {"meeting": "resolution"}
    assert learning.discharged_by.kind == "learning_disseminated"
    immediate = {d.trigger.stages[0] for d in policy.duties if d.timescale == Timescale(NOW)}
    assert immediate == {"stage-3", "stage-4", "stage-5"}
    escalation = policy.stage("stage-4").on_unresolved
    assert escalation is not None
    assert escalation.timescale == Timescale(WD, 2)
    kinds = {g.kind for g in policy.guidance}
    assert {"template", "prompts"} <= kinds


def test_darlington_details() -> None:
    policy = shipped_policy("darlington")
    assert policy.agreed_timescales.value == "shorter"
    pledge = next(g for g in policy.guidance if g.kind == "pledge")
    assert pledge.use is not None
    assert "start of multi-agency meetings" in pledge.use
    topics = {t.id for t in policy.topics}
    assert {"risk-enablement-forum", "executive-strategy-process"} <= topics
    assert policy.stage("stage-3").forms == ("appendix-1",)


def test_dudley_does_not_encode_the_regional_model() -> None:
    policy = shipped_policy("dudley")
    assert len(policy.stages) == 1
    assert policy.stages[0].on_unresolved is None
    # no fixed time (the regional model's 1 working day is not Dudley's): without delay only
    assert all(
        stage.timescale == Timescale(unit=Unit.WITHOUT_DELAY) for stage in policy.all_stages()
    )
    assert any("for comparison only" in gap.text for gap in policy.gaps)


def test_pan_sussex_conference_dissent_is_its_own_track_in_hours() -> None:
    policy = shipped_policy("pan-sussex")
    (track,) = policy.tracks
    assert track.natures == ("child_protection_conference",)
    (stage,) = track.stages
    assert stage.timescale == Timescale(HOURS, 72)
    # "within 72 hours of the conference meeting"; the concern where the case does not say
    assert stage.counts_from is Anchor.DECISION
    assert stage.counts_from_fallback is CONCERN
    assert policy.agreed_timescales.value == "shorter"


def test_dorset_bcp_sab_escalation_and_board_chair_in_one_working_day() -> None:
    policy = shipped_policy("dorset-bcp-sab")
    escalation = policy.stage("informal").on_unresolved
    assert escalation is not None
    assert escalation.timescale == Timescale(WD, 1)
    chair = next(d for d in policy.duties if d.id == "tell-sab-chair")
    assert chair.timescale == Timescale(WD, 1)
    assert chair.trigger.stages == ("director",)


def test_sunderland_sab_stage_one_is_immediate_within_three_working_days() -> None:
    (stage, _) = shipped_policy("sunderland-sab").stages
    assert stage.timescale is not None
    assert stage.timescale.tolerance == Timescale(unit=WD, amount=3)
    escalation = stage.on_unresolved
    assert escalation is not None
    assert escalation.timescale == Timescale(unit=Unit.WITHOUT_DELAY)
