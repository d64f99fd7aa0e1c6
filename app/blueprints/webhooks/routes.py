"""Mail provider webhooks, each authenticated the provider's own way."""
from __future__ import annotations

import logging

import redis

from flask import abort, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.blueprints.webhooks import bp
from app.events.providers import mailgun, postmark, sendgrid, ses
from app.events.webhooks import WebhookAuthError, WebhookPayloadError
from app.mail import provider_reports, sns
from app.queues import get_redis
from app.web.auth import public
from app.web.limits import WEBHOOK_BODY

log = logging.getLogger(__name__)

# The cap itself is `app/web/limits.py`'s, enforced by the request before a byte is read.
BODY_LIMIT = WEBHOOK_BODY


def _body() -> bytes:
    return request.get_data()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    return jsonify(error=f"webhook bodies are limited to {BODY_LIMIT // (1024 * 1024)} MB"), 413


def _setting(name: str) -> str:
    value = current_app.config.get(name)
    if not value:
        abort(404)  # this provider is not configured here
    return value


def _accept(events) -> tuple:
    counts = provider_reports.apply(list(events))
    return jsonify(counts), 200


@bp.errorhandler(WebhookAuthError)
def _auth_failed(error):
    log.warning("webhook refused: %s", error)
    return jsonify(error=str(error)), 401


@bp.errorhandler(redis.RedisError)
@bp.errorhandler(sns.SnsUnreachable)
def _try_later(error):
    # Providers retry on 5xx: tell them to come back rather than lose the event.
    log.warning("webhook deferred: %s", error)
    return jsonify(error="temporarily unavailable, retry later"), 503, {"Retry-After": "60"}


@bp.errorhandler(WebhookPayloadError)
def _bad_payload(error):
    return jsonify(error=str(error)), 400


@bp.route("/sendgrid", methods=["POST"])
@public
def sendgrid_events():
    key = _setting("SENDGRID_WEBHOOK_PUBLIC_KEY")
    return _accept(sendgrid.parse_webhook(_body(), request.headers, key))


def _mailgun_token_key(token: str) -> str:
    return f"clientele:mailgun-token:{token}"


@bp.route("/mailgun", methods=["POST"])
@public
def mailgun_events():
    key = _setting("MAILGUN_WEBHOOK_SIGNING_KEY")
    marked: list[str] = []

    def seen_token(token: str) -> bool:
        # Kept longer than the timestamp window, so a replay inside it is refused.
        if not get_redis().set(_mailgun_token_key(token), "1", nx=True, ex=1800):
            return True
        marked.append(token)
        return False

    try:
        return _accept(mailgun.parse_webhook(_body(), signing_key=key,
                                             seen_token=seen_token))
    except Exception:
        # Not handled (a 4xx/5xx): Mailgun retries with the same token, and that retry
        # must not be refused as a replay, or the event is lost.
        for token in marked:
            try:
                get_redis().delete(_mailgun_token_key(token))
            except redis.RedisError:
                log.warning("could not release Mailgun token %s", token, exc_info=True)
        raise


@bp.route("/postmark", methods=["POST"])
@public
def postmark_events():
    username = _setting("POSTMARK_WEBHOOK_USERNAME")
    password = _setting("POSTMARK_WEBHOOK_PASSWORD")
    return _accept(postmark.parse_webhook(_body(), request.headers,
                                          username=username, password=password))


@bp.route("/ses", methods=["POST"])
@public
def ses_events():
    topic = _setting("SES_TOPIC_ARN")
    fetch = current_app.config.get("SNS_CERT_FETCHER") or sns.fetch_certificate
    result = ses.parse_webhook(_body(), topic_arn=topic, fetch_cert=fetch)
    if result.subscribe_url:
        confirm = current_app.config.get("SNS_SUBSCRIBE_CONFIRMER") or sns.confirm_subscription
        confirm(result.subscribe_url)
        return jsonify(subscribed=True), 200
    return _accept(result.events)
