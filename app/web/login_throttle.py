"""Login throttling that never locks the office out.

Only failed attempts count (logging in costs nothing), under two keys:

- one account from one address (LOGIN_LIMIT_PER_ACCOUNT): past it, that address gets 429
  for that account at once, without a password check, while the person with the right
  password at another address logs in as usual;
- one address over every account (LOGIN_LIMIT_PER_IP): wide enough for 30 people behind
  one office router who each mistype now and then, too narrow to try passwords across
  the accounts.

"Forgot your password?" is counted the same way (`reset_*`), every request whether or not
the address has an account, so the limit tells nothing about the account either: one
address asked about (RESET_LIMIT_PER_ACCOUNT, from anywhere: nobody's inbox is flooded)
and one network address (RESET_LIMIT_PER_IP).

A throttled attempt is answered at once with 429 and how long to wait, never by sleeping
in the request (a few attackers would then hold every server thread). The counters live
in the rate-limit storage (Redis in production), shared by every process.
"""
from __future__ import annotations

import logging
import math
import time
from functools import cache

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.extensions import limiter

log = logging.getLogger(__name__)


def _limits(email: str, ip: str):
    config = current_app.config
    return ((parse(config["LOGIN_LIMIT_PER_ACCOUNT"]), f"login-failures:account:{ip}:{email}"),
            (parse(config["LOGIN_LIMIT_PER_IP"]), f"login-failures:address:{ip}"))


def _reset_limits(email: str, ip: str):
    config = current_app.config
    return ((parse(config["RESET_LIMIT_PER_ACCOUNT"]), f"password-resets:account:{email}"),
            (parse(config["RESET_LIMIT_PER_IP"]), f"password-resets:address:{ip}"))


def wait_seconds(email: str, ip: str) -> int:
    """0 when a login attempt for `email` from `ip` may go ahead, else the seconds until it
    may."""
    return _longest_wait(_limits(email, ip))


def count_failure(email: str, ip: str) -> None:
    _count(_limits(email, ip))


def reset_wait_seconds(email: str, ip: str) -> int:
    """0 when a password reset for `email` may be asked from `ip`, else the seconds to wait."""
    return _longest_wait(_reset_limits(email, ip))


def count_reset(email: str, ip: str) -> None:
    _count(_reset_limits(email, ip))


def _longest_wait(limits) -> int:
    return max((_wait(strategy, item, key) for strategy, item, key in _checks(limits)),
               default=0)


def _count(limits) -> None:
    # Between the check and this count, a burst of parallel attempts can pass the check
    # together: at most one per server thread, on top of the limit.
    for strategy, item, key in _checks(limits):
        try:
            strategy.hit(item, key)
        except Exception:  # noqa: BLE001 - see _wait
            _fallback().hit(item, key)


def _checks(limits):
    if not limiter.enabled:  # RATELIMIT_ENABLED=False (the benches)
        return []
    return [(limiter.limiter, item, key) for item, key in limits]


def _wait(strategy, item, key) -> int:
    try:
        allowed = strategy.test(item, key)
    except Exception:  # noqa: BLE001 - Redis unreachable: count in this process meanwhile
        log.warning("login throttling: rate-limit storage unreachable; counting in memory")
        strategy = _fallback()
        allowed = strategy.test(item, key)
    if allowed:
        return 0
    reset_at, _ = strategy.get_window_stats(item, key)
    return max(1, math.ceil(reset_at - time.time()))


@cache
def _fallback():
    """Per process, as Flask-Limiter's own in-memory fallback: never no limit at all."""
    return FixedWindowRateLimiter(MemoryStorage())


def in_words(seconds: int) -> str:
    """ "45 seconds", "about 4 minutes" """
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"about {round(seconds / 60)} minutes"
