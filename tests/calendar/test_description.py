"""Google event descriptions render formatted and linked, never as raw tags or running script."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from portal import create_app
from portal.calendar.description import description_text, is_html, render_description
from tests.conftest import base_config

REL = 'rel="noopener noreferrer nofollow"'

# What Google's editor stores for an event with a Meet invitation pasted into its description.
MEET_BLURB = (
    "<html-blob>Plan review with Sam.<br><br>-::~:~::~:~:~:~::~:~::-<br>"
    'Join with Google Meet: <a href="https://meet.google.com/abc-defg-hij">'
    "meet.google.com/abc-defg-hij</a><br>"
    'Or dial: <a href="tel:+61-2-9051-2345;123456789%23">(AU) +61 2 9051 2345</a>'
    " PIN: 123&nbsp;456&nbsp;789#<br>"
    'Learn more about Meet at: <a href="https://support.google.com/a/users/answer/9282720">'
    "https://support.google.com/a/users/answer/9282720</a><br>"
    "-::~:~::~:~:~:~::~:~::-</html-blob>"
)

BULLETED = (
    "<b>Bring to the visit:</b><ul><li>Plan review form</li>"
    "<li><p>Service agreement (<i>signed</i>)</p></li><li></li>"
    "<li>Photo&nbsp;ID</li></ul><u>Thanks</u>"
)


@pytest.mark.parametrize(
    "attack",
    [
        "<b>Hi</b><script>alert(1)</script>",
        '<b>Hi</b><img src="x" onerror="alert(1)">',
        '<b onclick="alert(1)">Hi</b>',
        "<b>Hi</b><style>body{display:none}</style>",
        '<b>Hi</b><svg onload="alert(1)"></svg>',
        "<b>Hi</b><iframe src='https://evil.example'></iframe>",
    ],
)
def test_script_and_event_handlers_never_survive(attack: str) -> None:
    html = render_description(attack)
    assert html == Markup("<b>Hi</b>")


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>x</script>", "/logout"],
)
def test_links_outside_the_allowed_schemes_lose_their_href(href: str) -> None:
    html = render_description(f'<b>See</b> <a href="{href}">here</a>')
    assert "href" not in html
    assert "here" in html


def test_google_formatting_is_kept_and_links_open_in_a_new_tab() -> None:
    html = render_description(BULLETED + '<p><a href="https://ndis.gov.au">NDIS</a></p>')
    for tag in ("<b>", "<ul>", "<li>", "<i>", "<u>", "<p>"):
        assert tag in html
    assert f'<a href="https://ndis.gov.au" target="_blank" {REL}>NDIS</a>' in html


def test_a_link_cannot_choose_its_own_target_or_rel() -> None:
    html = render_description('<a href="https://x.example" target="_self" rel="opener">x</a>')
    assert html == Markup(f'<a href="https://x.example" target="_blank" {REL}>x</a>')


def test_mailto_and_tel_links_are_kept() -> None:
    html = render_description(MEET_BLURB)
    assert 'href="tel:+61-2-9051-2345;123456789%23"' in html
    assert "html-blob" not in html
    assert "Join with Google Meet: <a" in html


def test_plain_text_is_escaped_with_its_line_breaks_and_links() -> None:
    text = "Meet Jane <jane@example.com> & Sam\nNotes: https://example.com/a?b=1&c=2."
    assert render_description(text) == Markup(
        "Meet Jane &lt;jane@example.com&gt; &amp; Sam<br>\nNotes: "
        f'<a href="https://example.com/a?b=1&amp;c=2" target="_blank" {REL}>'
        "https://example.com/a?b=1&amp;c=2</a>."
    )


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("(see https://ndis.gov.au/plans)", "https://ndis.gov.au/plans"),
        ("https://en.wikipedia.org/wiki/X_(y)", "https://en.wikipedia.org/wiki/X_(y)"),
        ("'https://x.example/q'", "https://x.example/q"),
        ('"https://x.example/q"><script>', "https://x.example/q"),
        ("<https://x.example/q>", "https://x.example/q"),
    ],
)
def test_a_bare_url_links_without_the_punctuation_around_it(text: str, url: str) -> None:
    html = render_description(text)
    assert f'<a href="{url}" target="_blank" {REL}>{url}</a>' in html
    assert "<script>" not in html


def test_plain_text_that_looks_like_a_tag_is_shown_not_run() -> None:
    html = render_description("<script>alert(1)</script>\n<img src=x onerror=alert(1)>")
    assert html == Markup(
        "&lt;script&gt;alert(1)&lt;/script&gt;<br>\n&lt;img src=x onerror=alert(1)&gt;"
    )


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_description_renders_nothing(text: str) -> None:
    assert render_description(text) == Markup("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>bold</b> words", True),
        ("<html-blob>Call Sam</html-blob>", True),
        ("Line one\nLine two", False),
        ("a < b and c > d", False),
        ("Contact Jane <jane@example.com>", False),
        ("Fish &amp; chips", False),
        ("", False),
    ],
)
def test_is_html_tells_google_markup_from_plain_text(text: str, expected: bool) -> None:
    assert is_html(text) is expected


def test_the_meet_invitation_reads_as_text() -> None:
    assert description_text(MEET_BLURB) == (
        "Plan review with Sam.\n"
        "\n"
        "-::~:~::~:~:~:~::~:~::-\n"
        "Join with Google Meet: meet.google.com/abc-defg-hij "
        "(https://meet.google.com/abc-defg-hij)\n"
        "Or dial: (AU) +61 2 9051 2345 (tel:+61-2-9051-2345;123456789%23) PIN: 123 456 789#\n"
        "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n"
        "-::~:~::~:~:~:~::~:~::-"
    )


def test_a_bulleted_list_reads_as_bullets() -> None:
    assert description_text(BULLETED) == (
        "Bring to the visit:\n• Plan review form\n• Service agreement (signed)\n• Photo ID\nThanks"
    )


def test_entities_are_decoded_and_no_tag_or_script_is_left() -> None:
    text = description_text(
        "<p>Fish&nbsp;&amp;&nbsp;chips &lt;3</p><div>Next</div>"
        '<script>alert(1)</script><a href="javascript:alert(1)">click</a>'
    )
    assert text == "Fish & chips <3\nNext\nclick"


def test_a_mail_link_labelled_with_its_address_is_not_repeated() -> None:
    html = (
        'Email <a href="mailto:jane@example.com">jane@example.com</a>'
        ' or <a href="mailto:sam@example.com">Sam</a>'
    )
    assert description_text(html) == "Email jane@example.com or Sam (mailto:sam@example.com)"


@pytest.mark.parametrize(
    "plain",
    [
        "",
        "Plan review\n\nBring: form, ID\n  indented line  \n",
        "Contact Jane <jane@example.com> & see https://ndis.gov.au.",
        "Fish &amp; chips &nbsp; a < b",
    ],
)
def test_plain_text_comes_back_unchanged(plain: str) -> None:
    assert description_text(plain) == plain


def test_templates_have_the_description_filter() -> None:
    # No database or Redis is reached: the app is only built, never asked a request.
    app = create_app(base_config("sqlite://", "redis://127.0.0.1:1/0"))
    template = app.jinja_env.from_string("<p>{{ notes|description }}</p>")
    rendered = template.render(notes="<i>Visit</i><script>x()</script>\nhttps://ndis.gov.au")
    assert rendered == "<p><i>Visit</i>\nhttps://ndis.gov.au</p>"
    assert template.render(notes="Visit\nhttps://ndis.gov.au") == (
        f'<p>Visit<br>\n<a href="https://ndis.gov.au" target="_blank" {REL}>'
        "https://ndis.gov.au</a></p>"
    )
