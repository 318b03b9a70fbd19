"""The local mail server of `make run`: it keeps what it receives, and its page shows it
safely, links clickable."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from devmail.smtp import MailServer
from devmail.store import MailStore
from devmail.web import create_web
from tests.support.processes import free_port


@pytest.fixture
def server(tmp_path):
    server = MailServer(MailStore(tmp_path / "mail.json"), "127.0.0.1", free_port()).start()
    yield server
    server.stop()


def send(server: MailServer, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", subject
    message.set_content(text)
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.send_message(message)


def test_the_page_lists_and_shows_mail_with_links_and_escapes_the_rest(server):
    send(server, "Choose <b>a</b> password", "Open http://localhost:5000/reset-password/abc <x>")
    page = create_web(server.store).test_client()

    listing = page.get("/").text
    assert "Choose &lt;b&gt;a&lt;/b&gt; password" in listing and "<b>a</b>" not in listing
    shown = page.get("/mail/1").text
    link = "http://localhost:5000/reset-password/abc"
    assert f'<a href="{link}">{link}</a>' in shown
    assert "&lt;x&gt;" in shown
    assert page.get("/mail/1.eml").text.startswith("From: a@x.test")
    assert page.get("/mail/2").status_code == 404


def test_mail_is_kept_in_the_file_across_a_restart(server, tmp_path):
    send(server, "Kept", "Still here after a restart.")
    again = MailStore(tmp_path / "mail.json")
    assert [mail.message["Subject"] for mail in again.all()] == ["Kept"]

    assert create_web(again).test_client().post("/clear").status_code == 303
    assert MailStore(tmp_path / "mail.json").all() == []
