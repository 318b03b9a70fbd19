"""A coordinator driving the running portal over HTTP: sign up, then "Sign in with Google"."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CONSENT_INPUT = re.compile(r'<input[^>]*name="(request_id|scope)"[^>]*value="([^"]*)"')
PASSWORD = "bench-password-123"


class PortalUser:
    """One browser-like session on the portal (cookies, CSRF tokens, redirects by hand)."""

    def __init__(self, base_url: str, email: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.email = email
        self.http = requests.Session()

    def url(self, path: str) -> str:
        """An absolute portal URL."""
        return self.base_url + path

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the form on the page at path."""
        page = self.http.get(self.url(path), timeout=30)
        page.raise_for_status()
        match = CSRF.search(page.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on {path}")
        return unescape(match.group(1))

    def sign_up(self, business: str = "Bench Coordination", zone: str = "Australia/Sydney") -> None:
        """Create a business and this coordinator through the real sign-up form."""
        form = {
            "csrf_token": self.csrf_token("/signup"),
            "business_name": business,
            "name": "Bench Coordinator",
            "email": self.email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "time_zone": zone,
        }
        answer = self.http.post(self.url("/signup"), data=form, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise RuntimeError(f"sign-up failed ({answer.status_code}): {answer.text[:500]}")

    def connect_google(self, google_account: str) -> None:
        """Press "Sign in with Google", allow everything on the consent page, come back."""
        token = self.csrf_token("/portal/integrations")
        answer = self.http.post(
            self.url("/google/connect"),
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"connect did not redirect ({answer.status_code})")
        back_to_portal = allow_consent(answer.headers["Location"], google_account)
        callback = self.http.get(back_to_portal, allow_redirects=False, timeout=60)
        if callback.status_code != 302:
            raise RuntimeError(f"callback failed ({callback.status_code}): {callback.text[:500]}")


def allow_consent(authorize_url: str, account: str) -> str:
    """Answer Google's consent page with "Allow"; returns where Google sends the browser."""
    page = requests.get(authorize_url, timeout=30)
    page.raise_for_status()
    fields = CONSENT_INPUT.findall(page.text)
    data = [(name, unescape(value)) for name, value in fields]
    data += [("account", account), ("decision", "allow")]
    action = urljoin(authorize_url, "/o/oauth2/v2/auth/decision")
    answer = requests.post(action, data=data, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"consent failed ({answer.status_code}): {answer.text[:500]}")
    return answer.headers["Location"]
