"""The page where a developer reads the mails the local SMTP server received."""

from __future__ import annotations

import re

from flask import Flask, Response, abort, redirect, render_template_string
from markupsafe import Markup, escape

from devmail.store import MailStore, Received

_LINK = re.compile(r"https?://[^\s<>\"']+")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Local mail</title>
<style>
 body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}
 table{border-collapse:collapse;width:100%} td,th{padding:.3rem .5rem;text-align:left;
 border-bottom:1px solid #ddd} pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}
 .meta{color:#555}
</style></head><body>
<p><a href="/">All mail</a> · mail the portal sent in development; nothing leaves this machine</p>
{{ body }}
</body></html>"""

_LIST = """<h1>Local mail ({{ mails|length }})</h1>
{% if mails %}
<form method="post" action="/clear"><button>Delete all</button></form>
<table><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr>
{% for mail in mails %}{% set m = mail.message %}
<tr><td>{{ mail.received_at }}</td><td>{{ mail.rcpt_tos|join(", ") }}</td>
<td><a href="/mail/{{ mail.id }}">{{ m["Subject"] or "(no subject)" }}</a></td></tr>
{% endfor %}</table>
{% else %}<p>No mail yet. Mail the portal sends shows up here.</p>{% endif %}"""

_ONE = """<h1>{{ m["Subject"] or "(no subject)" }}</h1>
<p class="meta">From {{ m["From"] }} to {{ mail.rcpt_tos|join(", ") }},
received {{ mail.received_at }} UTC · <a href="/mail/{{ mail.id }}.eml">raw message</a></p>
<pre>{{ text }}</pre>"""


def linked(text: str) -> Markup:
    """The text escaped, with every web address made a link (a reset link can be clicked)."""
    parts, last = [], 0
    for match in _LINK.finditer(text):
        url = match.group(0)
        parts += [escape(text[last : match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def body_text(mail: Received) -> str:
    """The mail's plain-text part (or a note that it has none)."""
    part = mail.message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else "(this mail has no plain-text part)"


def _page(title: str, inner: str, **values) -> str:
    body = Markup(render_template_string(inner, **values))
    return render_template_string(_PAGE, title=title, body=body)


def create_web(store: MailStore) -> Flask:
    """The mail page's Flask app, reading `store`."""
    web = Flask("devmail")

    @web.get("/")
    def index() -> str:
        """Every mail, newest first."""
        return _page("All", _LIST, mails=list(reversed(store.all())))

    @web.get("/mail/<int:mail_id>")
    def show(mail_id: int) -> str:
        """One mail, its links clickable."""
        mail = store.get(mail_id) or abort(404)
        return _page("Mail", _ONE, mail=mail, m=mail.message, text=linked(body_text(mail)))

    @web.get("/mail/<int:mail_id>.eml")
    def raw(mail_id: int) -> Response:
        """One mail exactly as received."""
        mail = store.get(mail_id) or abort(404)
        return Response(mail.raw, mimetype="message/rfc822")

    @web.post("/clear")
    def clear():
        """Delete every kept mail."""
        store.clear()
        return redirect("/", code=303)

    @web.get("/healthz")
    def health() -> str:
        """For `make run`'s ready line."""
        return "ok"

    return web
