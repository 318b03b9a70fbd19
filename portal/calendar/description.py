"""Google Calendar event descriptions, shown safely: HTML sanitised by nh3, plain text linked.

Google's own editor writes a description as an HTML fragment (b, i, u, br, links, lists,
sometimes inside an <html-blob> wrapper); API clients, the portal among them, write plain text
with newlines. `render_description` (the `description` Jinja filter) turns either into HTML
that keeps the formatting and the links and can run nothing; `description_text` turns either
into the plain text an edit form shows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "br", "p", "ul", "ol", "li", "a", "span", "div"}
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer nofollow"
BULLET = "• "

# nh3.is_html alone takes "Jane <jane@example.com>" for markup, and sanitising would drop the
# address from the page and from the edit form: only a tag Google writes makes text HTML.
_KNOWN_TAG = re.compile(rf"</?(?:{'|'.join(sorted(ALLOWED_TAGS))}|html-blob)\b", re.IGNORECASE)
# Run on escaped text, where & < > " ' survive only as entities: a URL is non-space characters
# and &amp;, so it stops before &lt;, &gt;, &#34; and &#39; and its href cannot break out.
_URL = re.compile(r"https?://(?:[^\s&]|&amp;)+", re.IGNORECASE)
_SENTENCE_END = ".,;:!?"
_BLOCKS = frozenset({"p", "div", "ul", "ol", "li"})


def is_html(text: str) -> bool:
    """Whether a description is Google's HTML rather than an API client's plain text."""
    return bool(text) and nh3.is_html(text) and _KNOWN_TAG.search(text) is not None


def render_description(text: str) -> Markup:
    """The description as safe HTML: formatting and links kept, plain text's lines and URLs."""
    if not text or not text.strip():
        return Markup("")
    html = text if is_html(text) else _plain_to_html(text)
    # The one place this module vouches for markup: what nh3 returns is the allow-list only.
    return Markup(_sanitise(html))


def description_text(text: str) -> str:
    """The description as plain text for an edit form; plain text comes back unchanged."""
    if not is_html(text):
        return text
    converter = _TextConverter()
    # Sanitised first, so script and style bodies and refused links never reach the text.
    converter.feed(_sanitise(text))
    converter.close()
    return converter.text()


def _sanitise(html: str) -> str:
    """The fragment reduced by nh3 to the allowed tags, links and schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        # Their bodies are code, not words: drop them with the tag, not just the tag.
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes=ALLOWED_SCHEMES,
        # A relative link would point into the portal itself, which no event needs to do.
        url_relative="deny",
        # noopener: the new tab cannot reach back through window.opener; nofollow: the
        # links are whoever wrote the event's, not the portal's recommendation.
        link_rel=LINK_REL,
        # A link opens in a new tab, so the coordinator's calendar stays where it was.
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def _plain_to_html(text: str) -> str:
    """Plain text as HTML: escaped first, then its bare URLs linked and its lines broken."""
    linked = _URL.sub(_link, str(escape(text)))
    return re.sub(r"\r\n|\r|\n", "<br>\n", linked)


def _link(match: re.Match[str]) -> str:
    """A URL found in escaped text as a link, with the punctuation after it left outside."""
    url = match.group()
    end = len(url)
    # A sentence's full stop or a closing bracket around the URL is not part of it.
    while end and (
        url[end - 1] in _SENTENCE_END
        or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))
    ):
        end -= 1
    return f'<a href="{url[:end]}">{url[:end]}</a>{url[end:]}'


class _TextConverter(HTMLParser):
    """Reads a sanitised fragment's words, breaking lines where Google's editor would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        # The open link's href and where its label starts in _parts.
        self._link: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Break a line at br and around blocks, start a list item, remember a link."""
        if tag == "br":
            # Always: two br in a row are the blank line the writer meant.
            self._parts.append("\n")
        elif tag in _BLOCKS:
            self._end_line()
            if tag == "li":
                self._parts.append(BULLET)
        elif tag == "a":
            self._link = (dict(attrs).get("href") or "", len(self._parts))

    def handle_endtag(self, tag: str) -> None:
        """End a block's line, or add a link's address after its label."""
        if tag in _BLOCKS:
            # An empty list item leaves no bullet behind.
            if self._parts and self._parts[-1] == BULLET:
                self._parts.pop()
            self._end_line()
        elif tag == "a" and self._link is not None:
            href, start = self._link
            self._link = None
            label = "".join(self._parts[start:]).strip()
            if href and label != re.sub(r"^(?:mailto|tel):", "", href):
                self._parts.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        """Add text with each run of white space (&nbsp; too) as one space, as browsers do."""
        words = re.sub(r"\s+", " ", data)
        if self._at_line_start():
            words = words.lstrip()
        if words:
            self._parts.append(words)

    def text(self) -> str:
        """What was read, without trailing spaces on lines or more than one blank line."""
        lines = [line.rstrip() for line in "".join(self._parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    def _at_line_start(self) -> bool:
        """Whether nothing but perhaps a list item's bullet is on the current line."""
        if not self._parts:
            return True
        return self._parts[-1].endswith("\n") or self._parts[-1] == BULLET

    def _end_line(self) -> None:
        """Break the line unless nothing is on it yet."""
        if not self._at_line_start():
            self._parts.append("\n")
