"""Which opens and clicks were made by machines rather than people.

Mail privacy proxies and security scanners fetch tracking pixels and follow
links on their own. Those hits are kept (they prove delivery) but are shown
apart and never make an email "Opened". Every rule here is a heuristic; the
plain-language list ``RULE_DESCRIPTIONS`` says so, and is what users read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

Kind = Literal["open", "click"]
RecentClick = tuple[datetime, str]  # (when, url) of an earlier click on the same message

DEFAULT_CLICK_WINDOW = timedelta(seconds=10)
BURST_WINDOW = timedelta(seconds=2)
BURST_MIN_LINKS = 3

# Proxies that fetch images only when the person opens the email: their hits
# are real opens even though the user agent is not the reader's own.
HUMAN_PROXY_MARKERS: tuple[tuple[str, str], ...] = (
    ("Gmail image proxy", "googleimageproxy"),
    ("Gmail image proxy", "via ggpht.com"),
    ("Yahoo/AOL mail proxy", "yahoomailproxy"),
)

# Security products that open links (and sometimes images) before the reader
# does. Matched as case-insensitive substrings of the user agent.
SCANNER_AGENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Microsoft Safe Links / Defender for Office 365",
     ("safelinks", "safe links", "office 365 atp", "microsoft office existence discovery")),
    ("Barracuda", ("barracuda",)),
    ("Mimecast", ("mimecast",)),
    ("Proofpoint", ("proofpoint",)),
    ("Symantec / Broadcom", ("symantec", "broadcom", "messagelabs")),
    ("Cisco IronPort", ("ironport", "cisco")),
    ("Trend Micro", ("trendmicro", "trend micro")),
    ("FireEye / Trellix", ("fireeye", "trellix")),
    ("Sophos", ("sophos",)),
    ("Google Safe Browsing", ("google-safety", "safebrowsing", "safe browsing")),
)

SCRIPT_AGENTS: tuple[str, ...] = (
    "curl/", "wget/", "python-requests", "python-urllib", "aiohttp", "httpx",
    "go-http-client", "okhttp", "java/", "apache-httpclient", "libwww-perl",
    "node-fetch", "axios/", "headlesschrome", "phantomjs", "puppeteer", "playwright",
)

# Words that mark a fetcher in a user agent; a word ending in "bot" counts too
# ("Googlebot"), except phone brands that happen to end that way.
BOT_WORDS: tuple[str, ...] = ("crawler", "crawl", "spider", "scanner", "preview", "facebookexternalhit", "slurp")
NOT_BOT_WORDS = frozenset({"cubot"})

APPLE_PROXY_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
APPLE_PROXY_USER_AGENT = "Mozilla/5.0"

# Rule names that other modules name too: the wording of an event line
# (app/mail/event_lines.py) and the providers' own flags (app/events/providers/).
APPLE_MPP = "Apple Mail Privacy Protection"
BARE_CLICK = "Bare \u201cMozilla/5.0\u201d on a click"
PROVIDER_FLAG = "The mail service's own flag"


@dataclass(frozen=True)
class Hit:
    """One open or click, with the context the rules look at."""

    kind: Kind
    user_agent: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    occurred_at: datetime
    sent_at: datetime | None
    recent_clicks: tuple[RecentClick, ...]
    url: str | None
    click_window: timedelta


@dataclass(frozen=True)
class AutomationRule:
    name: str
    kinds: frozenset[str]
    explanation: str  # plain language, shown to users
    matches: Callable[[Hit], bool]


def _apple_privacy_proxy(hit: Hit) -> bool:
    if hit.user_agent.strip() == APPLE_PROXY_USER_AGENT:
        return True
    return hit.ip is not None and any(hit.ip in net for net in APPLE_PROXY_NETWORKS)


def _missing_user_agent(hit: Hit) -> bool:
    return not hit.user_agent.strip()


def _scanner_vendor(user_agent: str) -> str | None:
    lowered = user_agent.lower()
    for vendor, markers in SCANNER_AGENTS:
        if any(marker in lowered for marker in markers):
            return vendor
    return None


def _script_agent(hit: Hit) -> bool:
    lowered = hit.user_agent.lower()
    return any(marker in lowered for marker in SCRIPT_AGENTS)


def _bot_words(hit: Hit) -> bool:
    words = re.split(r"[^a-z0-9]+", hit.user_agent.lower())
    for word in words:
        if word in NOT_BOT_WORDS:
            continue
        if word.endswith("bot") or any(marker in word for marker in BOT_WORDS):
            return True
    return False


def _click_right_after_delivery(hit: Hit) -> bool:
    if hit.sent_at is None:
        return False
    # A negative gap (click stamped before delivery) only happens with clock
    # skew between servers, i.e. the click came at once: flag it too.
    return hit.occurred_at - hit.sent_at <= hit.click_window


def _burst_of_links(hit: Hit) -> bool:
    clicks = [(when, url) for when, url in hit.recent_clicks if url]
    if hit.url:
        clicks.append((hit.occurred_at, hit.url))
    # Any BURST_WINDOW-long window that contains this click and covers enough
    # distinct links; windows starting at an earlier click are the only candidates.
    starts = [when for when, _ in clicks if hit.occurred_at - BURST_WINDOW <= when <= hit.occurred_at]
    starts.append(hit.occurred_at - BURST_WINDOW)
    for start in starts:
        links = {url for when, url in clicks if start <= when <= start + BURST_WINDOW}
        if len(links) >= BURST_MIN_LINKS:
            return True
    return False


BOTH = frozenset({"open", "click"})
CLICKS = frozenset({"click"})

# Checked top to bottom; the first match gives the reason.
AUTOMATION_RULES: tuple[AutomationRule, ...] = (
    AutomationRule(
        APPLE_MPP,
        frozenset({"open"}),
        "Apple Mail can load every image through Apple's servers as soon as an email "
        "arrives, whether or not anyone reads it. We recognise those loads by the bare "
        "user agent \"Mozilla/5.0\" or by an address in Apple's 17.0.0.0/8 network. "
        "This is a best guess: Apple's proxy also uses addresses outside that network, "
        "and a person working on Apple's own network would be counted as automated.",
        _apple_privacy_proxy,
    ),
    AutomationRule(
        "Missing user agent",
        BOTH,
        "Every browser and mail app identifies itself; only scripts leave this out.",
        _missing_user_agent,
    ),
    AutomationRule(
        BARE_CLICK,
        CLICKS,
        "A browser a person uses names itself in full (its engine, version and system); "
        "a link followed by a program that says only \"Mozilla/5.0\" is a mail filter "
        "or proxy checking the link, not a person clicking it.",
        lambda hit: hit.user_agent.strip() == APPLE_PROXY_USER_AGENT,
    ),
    AutomationRule(
        "Security link scanner",
        BOTH,
        "Company mail filters (Microsoft Safe Links, Barracuda, Mimecast, Proofpoint, "
        "Symantec, Cisco IronPort, Trend Micro, FireEye, Sophos, Google Safe Browsing) "
        "open links to check them before the reader sees the email. We spot those that "
        "name themselves; many pretend to be a normal browser, which the timing rules "
        "below catch instead.",
        lambda hit: _scanner_vendor(hit.user_agent) is not None,
    ),
    AutomationRule(
        "Script or headless browser",
        BOTH,
        "Command-line tools, programming libraries and invisible browsers "
        "(curl, wget, python-requests, Go, headless Chrome and similar) are not people.",
        _script_agent,
    ),
    AutomationRule(
        "Bot, crawler or preview fetcher",
        BOTH,
        "The program calls itself a bot, crawler, spider, scanner or link preview.",
        _bot_words,
    ),
    AutomationRule(
        "Click right after delivery",
        CLICKS,
        "A link was followed within seconds of the email being delivered (10 seconds "
        "unless configured otherwise): faster than a person can open and read it.",
        _click_right_after_delivery,
    ),
    AutomationRule(
        "Burst of clicks on many links",
        CLICKS,
        f"{BURST_MIN_LINKS} or more different links in the same email were followed within "
        f"{BURST_WINDOW.seconds} seconds of each other, which is how scanners check every "
        "link at once. Clicks early in such a burst may be counted as human until the "
        "rest of the burst arrives.",
        _burst_of_links,
    ),
)

HUMAN_PROXY_NOTE = (
    "Gmail and Yahoo/AOL image proxies",
    "Gmail and Yahoo/AOL load images through their own servers, but only when the "
    "person opens the email, so these opens count as real opens.",
)

PROVIDER_FLAG_NOTE = (
    PROVIDER_FLAG,
    "Mail services that track opens and clicks themselves say when they think a machine "
    "made one: Mailgun's bot field (Apple's proxy, Gmail's or another bot) and "
    "SendGrid's machine-open flag. We take their word for it, before any rule above.",
)

# What the "How we spot automated opens" page lists.
RULE_DESCRIPTIONS: list[tuple[str, str]] = [
    (rule.name, rule.explanation) for rule in AUTOMATION_RULES
] + [PROVIDER_FLAG_NOTE, HUMAN_PROXY_NOTE]


def classify_hit(
    kind: Kind,
    user_agent: str | None,
    ip: str | None,
    occurred_at: datetime,
    sent_at: datetime | None,
    recent_clicks: Sequence[RecentClick] = (),
    *,
    url: str | None = None,
    click_window: timedelta = DEFAULT_CLICK_WINDOW,
) -> tuple[bool, str | None]:
    """(automated, rule name) for one open or click; the name is one of RULE_DESCRIPTIONS."""
    if kind not in BOTH:
        raise ValueError(f"kind must be 'open' or 'click', not {kind!r}")
    user_agent = user_agent or ""
    if kind == "open" and _human_proxy(user_agent):
        return False, None
    hit = Hit(
        kind=kind,
        user_agent=user_agent,
        ip=_parse_ip(ip),
        occurred_at=_as_utc(occurred_at),
        sent_at=None if sent_at is None else _as_utc(sent_at),
        recent_clicks=tuple((_as_utc(when), url_) for when, url_ in recent_clicks),
        url=url,
        click_window=click_window,
    )
    for rule in AUTOMATION_RULES:
        if kind in rule.kinds and rule.matches(hit):
            return True, rule.name
    return False, None


def scanner_vendor(user_agent: str | None) -> str | None:
    """The security product a user agent names, for showing next to a flagged hit."""
    return _scanner_vendor(user_agent or "")


def _human_proxy(user_agent: str) -> bool:
    lowered = user_agent.lower()
    return any(marker in lowered for _, marker in HUMAN_PROXY_MARKERS)


def _parse_ip(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not ip:
        return None
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    # "::ffff:17.1.2.3" is how an IPv4 client looks behind a dual-stack listener.
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
