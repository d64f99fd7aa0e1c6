"""axe-core (vendored for the tests only) run inside the page Playwright is showing."""
from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = ("critical", "serious")


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, include: str | None = None) -> list[str]:
    """The critical and serious violations on the page (or inside `include`), as text.

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern;
    nothing is added to the page's own scripts.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    violations = page.evaluate(
        """async (include) => {
             const result = await axe.run(include ? {include: [include]} : document,
                                          {resultTypes: ["violations"]});
             return result.violations.map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(n => n.target.join(" ") + " :: " +
                                       (n.failureSummary || "").replace(/\\s+/g, " "))}));
           }""", include)
    return [f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:6])
            for v in violations if v["impact"] in FAILING]
