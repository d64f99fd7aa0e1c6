"""One module per mail provider's webhook: authenticate the request, map its events.

sendgrid, mailgun and postmark expose ``parse_webhook(...) -> list[ProviderEvent]``;
ses exposes ``parse_webhook(...) -> SesResult`` (events, or a subscription to confirm).
"""
