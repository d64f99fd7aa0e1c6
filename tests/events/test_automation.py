from datetime import datetime, timedelta, timezone

import pytest

from app.events.automation import (
    AUTOMATION_RULES,
    BARE_CLICK,
    RULE_DESCRIPTIONS,
    classify_hit,
    scanner_vendor,
)

SENT = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
LATER = SENT + timedelta(hours=2)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
)
HUMAN_IP = "203.0.113.7"


def open_hit(user_agent, ip=HUMAN_IP, occurred_at=LATER, sent_at=SENT):
    return classify_hit("open", user_agent, ip, occurred_at, sent_at, [])


def click_hit(user_agent=CHROME, ip=HUMAN_IP, occurred_at=LATER, sent_at=SENT, recent=(), url="https://ex.com/a"):
    return classify_hit("click", user_agent, ip, occurred_at, sent_at, list(recent), url=url)


@pytest.mark.parametrize("ua", [CHROME, IPHONE_SAFARI, OUTLOOK, CUBOT_PHONE])
def test_ordinary_mail_apps_and_browsers_are_human(ua):
    assert open_hit(ua) == (False, None)
    assert click_hit(ua) == (False, None)


# -- human proxies ----------------------------------------------------------


def test_gmail_image_proxy_is_a_human_open():
    # Google's proxy addresses are not Apple's, but even an odd IP must not flip it
    assert open_hit(GMAIL_PROXY, ip="66.249.84.1") == (False, None)


def test_gmail_image_proxy_right_at_delivery_is_still_human():
    assert open_hit(GMAIL_PROXY, occurred_at=SENT + timedelta(seconds=1)) == (False, None)


def test_yahoo_proxy_is_a_human_open():
    assert open_hit(YAHOO_PROXY) == (False, None)


# -- Apple Mail Privacy Protection ---------------------------------------------


def test_bare_mozilla_user_agent_is_apple_privacy_proxy():
    assert open_hit("Mozilla/5.0") == (True, "Apple Mail Privacy Protection")


@pytest.mark.parametrize("ip", ["17.58.63.10", "::ffff:17.1.2.3"])
def test_apple_network_open_is_apple_privacy_proxy(ip):
    assert open_hit(IPHONE_SAFARI, ip=ip) == (True, "Apple Mail Privacy Protection")


def test_address_next_to_apple_network_is_not_flagged():
    assert open_hit(IPHONE_SAFARI, ip="18.0.0.1") == (False, None)


def test_apple_rule_only_applies_to_opens():
    assert click_hit(IPHONE_SAFARI, ip="17.58.63.10") == (False, None)


def test_unparseable_ip_is_ignored():
    assert open_hit(IPHONE_SAFARI, ip="not an ip") == (False, None)


def test_an_apple_mail_reader_opening_on_a_mac_is_a_person():
    # What can be told apart: Mail on a Mac without the privacy protection loads the image
    # itself, naming WebKit and the system, from the reader's own address.
    mac_mail = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                "(KHTML, like Gecko)")
    assert open_hit(mac_mail) == (False, None)
    # What cannot: the proxy's fetch when the mail arrives and its fetch when the reader
    # opens it look the same (bare user agent, Apple's address, no cookie ever), so both
    # are the proxy's.
    assert open_hit("Mozilla/5.0", ip="17.58.63.10", occurred_at=SENT + timedelta(days=2)) \
        == (True, "Apple Mail Privacy Protection")


# -- a bare "Mozilla/5.0" on a click ------------------------------------------


@pytest.mark.parametrize("ua", ["Mozilla/5.0", " Mozilla/5.0 "])
def test_a_click_by_a_bare_mozilla_is_not_a_person(ua):
    assert click_hit(ua) == (True, BARE_CLICK)


@pytest.mark.parametrize("ua", [CHROME, IPHONE_SAFARI, OUTLOOK])
def test_a_click_by_a_browser_that_names_itself_is_a_person(ua):
    assert click_hit(ua, ip="17.58.63.10") == (False, None)


# -- scanners, scripts, bots ------------------------------------------------


@pytest.mark.parametrize(
    ("ua", "vendor"),
    [
        ("Mozilla/5.0 (compatible; Mimecast URL Protect)", "Mimecast"),
        ("Barracuda Sentinel (EE)", "Barracuda"),
        ("Proofpoint URL Defense", "Proofpoint"),
        ("Symantec Web Security", "Symantec / Broadcom"),
        ("Cisco IronPort URL Filter", "Cisco IronPort"),
        ("TrendMicro Email Security", "Trend Micro"),
        ("FireEye ETP", "FireEye / Trellix"),
        ("Sophos Email Link Check", "Sophos"),
        ("Google-Safety; GoogleSafeBrowsing", "Google Safe Browsing"),
        ("Microsoft Office Existence Discovery", "Microsoft Safe Links / Defender for Office 365"),
    ],
)
def test_named_link_scanners_are_automated(ua, vendor):
    assert click_hit(ua) == (True, "Security link scanner")
    assert open_hit(ua) == (True, "Security link scanner")
    assert scanner_vendor(ua) == vendor


@pytest.mark.parametrize(
    "ua",
    ["curl/8.4.0", "Wget/1.21", "python-requests/2.31.0", "Go-http-client/1.1",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36"],
)
def test_scripts_and_headless_browsers_are_automated(ua):
    assert click_hit(ua) == (True, "Script or headless browser")


@pytest.mark.parametrize(
    "ua",
    ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "Slackbot-LinkExpanding 1.0", "SomeCrawler/1.0", "LinkPreview/2.0", "Acme URL Scanner"],
)
def test_bots_crawlers_and_previewers_are_automated(ua):
    assert click_hit(ua) == (True, "Bot, crawler or preview fetcher")


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_missing_user_agent_is_automated(ua):
    assert click_hit(ua) == (True, "Missing user agent")


# -- timing -----------------------------------------------------------------


def test_click_within_window_of_delivery_is_automated():
    assert click_hit(occurred_at=SENT + timedelta(seconds=3)) == (True, "Click right after delivery")
    assert click_hit(occurred_at=SENT + timedelta(seconds=10)) == (True, "Click right after delivery")


def test_click_after_window_is_human():
    assert click_hit(occurred_at=SENT + timedelta(seconds=11)) == (False, None)


def test_click_window_is_configurable():
    result = classify_hit("click", CHROME, HUMAN_IP, SENT + timedelta(seconds=30), SENT, [],
                          url="https://ex.com/a", click_window=timedelta(seconds=60))
    assert result == (True, "Click right after delivery")


def test_open_right_after_delivery_is_not_a_timing_match():
    assert open_hit(IPHONE_SAFARI, occurred_at=SENT + timedelta(seconds=2)) == (False, None)


def test_unknown_delivery_time_skips_the_timing_rule():
    assert click_hit(occurred_at=SENT, sent_at=None) == (False, None)


def test_naive_times_are_taken_as_utc():
    naive_sent = SENT.replace(tzinfo=None)
    assert click_hit(occurred_at=SENT + timedelta(seconds=2), sent_at=naive_sent) == (
        True, "Click right after delivery")


def test_three_distinct_links_within_two_seconds_is_a_burst():
    recent = [(LATER - timedelta(seconds=1.5), "https://ex.com/b"), (LATER - timedelta(seconds=0.5), "https://ex.com/c")]
    assert click_hit(recent=recent, url="https://ex.com/a") == (True, "Burst of clicks on many links")


def test_burst_counts_distinct_links_not_repeated_clicks():
    recent = [(LATER - timedelta(seconds=1), "https://ex.com/a"), (LATER - timedelta(seconds=0.5), "https://ex.com/a")]
    assert click_hit(recent=recent, url="https://ex.com/a") == (False, None)


def test_links_spread_over_more_than_two_seconds_are_not_a_burst():
    recent = [(LATER - timedelta(seconds=2.5), "https://ex.com/b"), (LATER - timedelta(seconds=1), "https://ex.com/c")]
    assert click_hit(recent=recent, url="https://ex.com/a") == (False, None)


def test_burst_includes_clicks_recorded_just_after_this_one():
    # events may be processed out of order; the window may extend past this click
    recent = [(LATER + timedelta(seconds=0.7), "https://ex.com/b"), (LATER + timedelta(seconds=1.9), "https://ex.com/c")]
    assert click_hit(recent=recent, url="https://ex.com/a") == (True, "Burst of clicks on many links")


def test_burst_rule_only_applies_to_clicks():
    recent = [(LATER, "https://ex.com/b"), (LATER, "https://ex.com/c"), (LATER, "https://ex.com/d")]
    assert classify_hit("open", IPHONE_SAFARI, HUMAN_IP, LATER, SENT, recent) == (False, None)


# -- the user-facing description ---------------------------------------------


def test_every_rule_is_described_for_users():
    names = [name for name, _ in RULE_DESCRIPTIONS]
    assert [rule.name for rule in AUTOMATION_RULES] == names[: len(AUTOMATION_RULES)]
    assert any("Gmail" in name for name in names)
    assert all(text.strip() for _, text in RULE_DESCRIPTIONS)


def test_reason_is_always_a_described_rule_name():
    names = {name for name, _ in RULE_DESCRIPTIONS}
    for ua in ["Mozilla/5.0", "curl/8", "Mimecast", "", "Googlebot"]:
        automated, reason = click_hit(ua) if ua != "Mozilla/5.0" else open_hit(ua)
        assert automated and reason in names


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        classify_hit("view", CHROME, HUMAN_IP, LATER, SENT, [])
