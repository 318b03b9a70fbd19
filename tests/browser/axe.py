"""axe-core in the browser tests: inject the vendored axe.min.js and fail on any violation.

tests/browser/vendor/README.md says which axe-core this is and where it came from.
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"


def axe_violations(driver, context: str | None = None) -> list[dict]:
    """Run axe-core on the page (or on the element the CSS selector context names)."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    # Every rule axe has, best practices included; results come back through the callback.
    result = driver.execute_async_script(
        """
        const [context, done] = [arguments[0], arguments[arguments.length - 1]];
        axe.run(context ? document.querySelector(context) : document, {resultTypes: ["violations"]})
          .then((r) => done(r.violations), (e) => done([{id: "axe-error", impact: "critical",
            help: String(e), nodes: []}]));
        """,
        context,
    )
    return result


def describe(violations: list[dict]) -> str:
    """One line per violation and element: rule id, impact, target and what to fix."""
    lines = []
    for violation in violations:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]] or ["-"]
        rule = f"{violation['id']} ({violation['impact']})"
        lines += [f"{rule} at {target}: {violation['help']}" for target in targets]
    return "\n".join(lines)


def assert_no_axe_violations(driver, context: str | None = None) -> None:
    """Fail listing each axe-core violation's id, impact and target, if there are any."""
    driver.set_script_timeout(30)
    violations = axe_violations(driver, context)
    assert not violations, f"axe-core found on {driver.current_url}:\n" + describe(violations)
