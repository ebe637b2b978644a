"""A ``mermaid`` directive that shows a diagram's source as a literal block.

Diagrams stay readable and reviewable as text, and building the docs needs no
network and no JavaScript: nothing is fetched, nothing is rendered client-side.
The block has the CSS class ``mermaid`` should a theme ever want to style it.

Usage in MyST (both forms work; GitHub draws the second one itself)::

    ```{mermaid}
    :caption: Stages of escalation
    flowchart LR
      A --> B
    ```

    ```mermaid
    flowchart LR
      A --> B
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.directives.code import container_wrapper
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx


class Mermaid(SphinxDirective):
    """Show mermaid source verbatim, with an optional caption."""

    has_content = True
    required_arguments = 0
    optional_arguments = 0
    option_spec: ClassVar[dict[str, Any]] = {
        "caption": directives.unchanged_required,
        "name": directives.unchanged,
        "class": directives.class_option,
        # Accepted for compatibility with sphinxcontrib-mermaid; ignored here.
        "align": directives.unchanged,
        "alt": directives.unchanged,
        "zoom": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        source = "\n".join(self.content)
        block = nodes.literal_block(source, source)
        block["language"] = "text"
        block["classes"] += ["mermaid", *self.options.get("class", [])]
        self.set_source_info(block)
        node: nodes.Element = block
        if "caption" in self.options:
            node = container_wrapper(self, block, self.options["caption"])
        self.add_name(node)
        return [node]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("mermaid", Mermaid)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
