"""SMTP_URL as DATABASE_URL is read: scheme, host, port, and a percent-encoded login."""

from __future__ import annotations

import pytest

from portal.mail.smtp_url import BadSmtpUrl, parse_smtp_url


def test_a_plain_url_defaults_to_port_25_without_login():
    server = parse_smtp_url("smtp://mail.example.org")
    assert (server.host, server.port, server.implicit_tls) == ("mail.example.org", 25, False)
    assert server.username is None and server.password is None


def test_smtps_means_tls_on_connect_on_port_465():
    server = parse_smtp_url("smtps://relay.example.org")
    assert (server.port, server.implicit_tls) == (465, True)


def test_the_user_and_password_are_percent_decoded():
    server = parse_smtp_url("smtp://apikey%40team:p%40ss%2Fw%3Ard@smtp.example.org:587")
    assert server.username == "apikey@team"
    assert server.password == "p@ss/w:rd"
    assert server.port == 587


def test_the_password_never_shows_in_its_repr():
    server = parse_smtp_url("smtps://casey:hunter2-secret@smtp.example.org")
    assert "hunter2" not in repr(server)
    assert "casey@smtp.example.org:465" in repr(server)


@pytest.mark.parametrize(
    "url",
    ["http://smtp.example.org", "smtp://", "smtp://host:99999", "mail.example.org:25", ""],
)
def test_urls_that_name_no_smtp_server_are_refused(url):
    with pytest.raises(BadSmtpUrl):
        parse_smtp_url(url)
