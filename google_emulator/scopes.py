"""OAuth scopes Google knows and which ones each Calendar operation accepts."""

from __future__ import annotations

PREFIX = "https://www.googleapis.com/auth/"

OPENID = "openid"
USERINFO_EMAIL = PREFIX + "userinfo.email"
USERINFO_PROFILE = PREFIX + "userinfo.profile"

CALENDAR = PREFIX + "calendar"
CALENDAR_READONLY = PREFIX + "calendar.readonly"
EVENTS = PREFIX + "calendar.events"
EVENTS_READONLY = PREFIX + "calendar.events.readonly"
EVENTS_OWNED = PREFIX + "calendar.events.owned"
EVENTS_OWNED_READONLY = PREFIX + "calendar.events.owned.readonly"
CALENDARLIST = PREFIX + "calendar.calendarlist"
CALENDARLIST_READONLY = PREFIX + "calendar.calendarlist.readonly"
CALENDARS = PREFIX + "calendar.calendars"
CALENDARS_READONLY = PREFIX + "calendar.calendars.readonly"
APP_CREATED = PREFIX + "calendar.app.created"
SETTINGS_READONLY = PREFIX + "calendar.settings.readonly"
FREEBUSY = PREFIX + "calendar.freebusy"

# Google accepts the short names and reports the long ones in the token response.
ALIASES = {"email": USERINFO_EMAIL, "profile": USERINFO_PROFILE}

KNOWN = {
    OPENID,
    USERINFO_EMAIL,
    USERINFO_PROFILE,
    CALENDAR,
    CALENDAR_READONLY,
    EVENTS,
    EVENTS_READONLY,
    EVENTS_OWNED,
    EVENTS_OWNED_READONLY,
    CALENDARLIST,
    CALENDARLIST_READONLY,
    CALENDARS,
    CALENDARS_READONLY,
    APP_CREATED,
    SETTINGS_READONLY,
    FREEBUSY,
}

# Identity scopes are shown as fixed lines on the consent page, never as optional checkboxes.
IDENTITY = {OPENID, USERINFO_EMAIL, USERINFO_PROFILE}

EVENTS_READ = {
    CALENDAR,
    CALENDAR_READONLY,
    EVENTS,
    EVENTS_READONLY,
    EVENTS_OWNED,
    EVENTS_OWNED_READONLY,
}
EVENTS_WRITE = {CALENDAR, EVENTS, EVENTS_OWNED}
CALENDARLIST_READ = {CALENDAR, CALENDAR_READONLY, CALENDARLIST, CALENDARLIST_READONLY}
CALENDARS_READ = {CALENDAR, CALENDAR_READONLY, CALENDARS, CALENDARS_READONLY}
CALENDARS_CREATE = {CALENDAR, CALENDARS}
ANY_CALENDAR = {s for s in KNOWN if s.startswith(PREFIX + "calendar")}

DESCRIPTIONS = {
    OPENID: "Associate you with your personal info on Google",
    USERINFO_EMAIL: "See your primary Google Account email address",
    USERINFO_PROFILE: "See your personal info, including any personal info you've made public",
    CALENDAR: "See, edit, share, and permanently delete all the calendars you can access",
    CALENDAR_READONLY: "See and download any calendar you can access",
    EVENTS: "View and edit events on all your calendars",
    EVENTS_READONLY: "View events on all your calendars",
    EVENTS_OWNED: "See, create, change, and delete events on Google calendars you own",
    EVENTS_OWNED_READONLY: "See the events on Google calendars you own",
    CALENDARLIST: "See, add, and remove Google calendars you're subscribed to",
    CALENDARLIST_READONLY: "See the list of Google calendars you're subscribed to",
    CALENDARS: "See and change the properties of Google calendars you have access to",
    CALENDARS_READONLY: "See the title, description, time zone of calendars you can access",
    APP_CREATED: "Make secondary calendars, and see, create, change, and delete their events",
    SETTINGS_READONLY: "View your Calendar settings",
    FREEBUSY: "See the availability on Google calendars you have access to",
}


def normalize(scope: str) -> str:
    """The long form of a scope (`email` becomes the userinfo.email URL)."""
    return ALIASES.get(scope, scope)


def parse(text: str) -> list[str]:
    """Scopes from a space-separated string, long forms, in order, no duplicates."""
    out: list[str] = []
    for part in (text or "").split():
        scope = normalize(part)
        if scope not in out:
            out.append(scope)
    return out


def unknown(scopes: list[str]) -> list[str]:
    """The scopes Google would not recognise."""
    return [s for s in scopes if s not in KNOWN]


def redirect_form(scopes: list[str]) -> str:
    """The scope string Google puts on the redirect: short names and long ones for identity."""
    out: list[str] = []
    for s in scopes:
        if s == USERINFO_EMAIL:
            out.extend(["email", s])
        elif s == USERINFO_PROFILE:
            out.extend(["profile", s])
        else:
            out.append(s)
    return " ".join(out)
