"""The caseload report as one self-contained HTML page, for people.

Jinja2 fills ``templates/caseload.html.j2`` (autoescaped); matplotlib draws the
charts as static SVG, inlined in the page, so the page needs no JavaScript, no
network and no other file, and prints as it shows. Matplotlib rather than a
JavaScript charting library because its SVG is complete without a script (a
pygal chart's tooltips and styling need one), and it is deterministic: a fixed
``svg.hashsalt``, no date in the metadata and text kept as text, so the same
report gives the same bytes and the chart labels are selectable and
searchable. Both libraries come with the ``report`` extra.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, Final

from challenge_rules.caseload._outputs import heading
from challenge_rules.errors import MissingExtra

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from challenge_rules.caseload._build import CaseloadReport, Table

EXTRA: Final = "report"
_COLOURS: Final = ("#1f5f8b", "#d9822b")
_TOP: Final = 10
_PROLOG: Final = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA: Final = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def require_html() -> None:
    """Raise `MissingExtra` unless the libraries the HTML report needs are installed."""
    _libraries()


def _libraries() -> tuple[Any, Any]:
    try:
        import jinja2  # noqa: PLC0415 - optional: the report extra
        import matplotlib as mpl  # noqa: PLC0415
    except ImportError as error:
        raise MissingExtra(
            feature="the HTML caseload report",
            extra=EXTRA,
            missing=error.name or "Jinja2 or matplotlib",
        ) from None
    return jinja2, mpl


def _svg(figure: Figure, mpl: Any) -> str:  # noqa: ANN401 - the matplotlib module
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: PLC0415

    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "challenge-rules", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    # Inline, the XML prolog and the RDF metadata block are noise: the page says what made it.
    return _METADATA.sub("", _PROLOG.sub("", buffer.getvalue(), count=1), count=1)


def _integers() -> MaxNLocator:
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    return MaxNLocator(integer=True)


def _figure(height: float = 3.0) -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415

    return Figure(figsize=(6.4, height), dpi=100, layout="constrained")


def _axes(figure: Figure) -> Axes:
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9)
    return axes


def _bars(
    mpl: Any,  # noqa: ANN401
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    horizontal: bool = False,
    xlabel: str = "",
) -> str:
    figure = _figure(0.5 + 0.32 * len(labels) if horizontal else 3.0)
    axes = _axes(figure)
    positions = list(range(len(labels)))
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series):
        offsets = [p + (index - (len(series) - 1) / 2) * width for p in positions]
        colour = _COLOURS[index % len(_COLOURS)]
        if horizontal:
            axes.barh(offsets, values, height=width, label=name, color=colour)
        else:
            axes.bar(offsets, values, width=width, label=name, color=colour)
    if horizontal:
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.set_xlabel(xlabel or "cases")
        axes.xaxis.set_major_locator(_integers())
    else:
        axes.set_xticks(positions, labels)
        axes.set_ylabel(xlabel or "cases")
        axes.yaxis.set_major_locator(_integers())
    if len(series) > 1:
        axes.legend(frameon=False)
    return _svg(figure, mpl)


def _line(mpl: Any, labels: Sequence[str], values: Sequence[int]) -> str:  # noqa: ANN401
    figure = _figure()
    axes = _axes(figure)
    axes.plot(range(len(labels)), values, marker="o", color=_COLOURS[0])
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    axes.set_ylabel("open cases")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(_integers())
    return _svg(figure, mpl)


def _ints(table: Table, column: str) -> list[int]:
    return [int(v) if isinstance(v, int) else 0 for v in table.column(column)]


def _charts(report: CaseloadReport, mpl: Any) -> dict[str, str]:  # noqa: ANN401
    stages = report.table("stages")
    charts = {
        "stages": _bars(
            mpl,
            [str(s) for s in stages.column("stage")],
            [
                ("reached", _ints(stages, "reached")),
                ("open at it now", _ints(stages, "open at it now")),
            ],
        ),
        "resolution_bands": _bars(
            mpl,
            [str(s) for s in report.table("resolution_bands").column("working days")],
            [("resolved cases", _ints(report.table("resolution_bands"), "cases"))],
        ),
    }
    for name in ("raising_agency", "receiving_agency"):
        table = report.table(name)
        top = table.rows[:_TOP]
        if top:
            charts[name] = _bars(
                mpl,
                [str(r[0]) for r in top],
                [("cases", [int(r[1]) if isinstance(r[1], int) else 0 for r in top])],
                horizontal=True,
            )
    breaches = report.table("breaches_by_stage")
    if breaches.rows:
        charts["breaches_by_stage"] = _bars(
            mpl,
            [str(s) for s in breaches.column("stage")],
            [
                ("breaches", _ints(breaches, "breaches")),
                ("still outstanding", _ints(breaches, "still outstanding")),
            ],
            xlabel="breaches",
        )
    periods = report.table("periods")
    if periods.rows:
        charts["periods"] = _line(
            mpl, [str(p) for p in periods.column(report.grouping)], _ints(periods, "open at end")
        )
    return charts


def render_html(report: CaseloadReport) -> str:
    """The report as a self-contained HTML page (needs the ``report`` extra)."""
    jinja2, mpl = _libraries()
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("challenge_rules.caseload", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = lambda value: "" if value is None else value
    template = environment.get_template("caseload.html.j2")
    charts = {name: jinja2.filters.Markup(svg) for name, svg in _charts(report, mpl).items()}
    page: str = template.render(
        report=report,
        title=heading(report),
        charts=charts,
        tables={table.id: table for table in report.tables},
    )
    return page


__all__ = ["EXTRA", "render_html", "require_html"]
