"""Only route modules read flask.request: everything below them takes plain arguments.

import-linter (pyproject.toml) checks the rules between modules; flask.request is an attribute
of flask, not a module, so this walks the source instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# Besides the route modules: the views' own helpers and the app's request hooks, which are
# the web layer too (htmx's header, the host redirect, the security headers, the login limit).
VIEW_HELPERS = {"core/htmx.py", "core/canonical_host.py", "core/headers.py", "auth/throttle.py"}


def reads_request(source: str) -> bool:
    """Whether a module imports flask's request or reaches it as flask.request."""
    return any(_reaches_request(node) for node in ast.walk(ast.parse(source)))


def _reaches_request(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "flask" and any(alias.name == "request" for alias in node.names)
    if isinstance(node, ast.Attribute):
        named = isinstance(node.value, ast.Name) and node.value.id == "flask"
        return named and node.attr == "request"
    return False


def is_route_module(path: Path) -> bool:
    """routes.py, or a page's second blueprint such as google_routes.py."""
    return path.name == "routes.py" or path.name.endswith("_routes.py")


def test_only_route_modules_read_the_request():
    offenders = [
        str(path.relative_to(PORTAL))
        for path in sorted(PORTAL.rglob("*.py"))
        if not is_route_module(path)
        and str(path.relative_to(PORTAL)) not in VIEW_HELPERS
        and reads_request(path.read_text())
    ]
    assert offenders == [], f"flask.request outside route modules: {offenders}"


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("from flask import request", True),
        ("from flask import current_app, request as req", True),
        ("import flask\nflask.request.args", True),
        ("from flask import current_app", False),
        ("import requests\nrequests.post", False),
        ("self.request('GET', '/')", False),
    ],
)
def test_the_check_sees_each_way_of_reaching_the_request(source, reads):
    assert reads_request(source) is reads
