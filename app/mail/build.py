"""Turn an EmailMessage row into the bytes that go over SMTP."""
from __future__ import annotations

import re

from flask import current_app, render_template
from markupsafe import Markup, escape

from app import settings
from app.admin.password_links import fill_links
from app.events.tokens import verp_address
from app.extensions import db
from app.mail import mime
from app.mail.placeholders import LINK_LATER
from app.mail.tracking import STAMP, link_url, make_token, open_url, view_url
from app.models import EmailLink, EmailMessage, Invoice

_URL = re.compile(r"https?://[^\s<>\"']+")


def envelope_sender(message: EmailMessage) -> str:
    """VERP: bounces come back to an address that names this exact message."""
    return verp_address(message.verp_token, current_app.config["BOUNCE_DOMAIN"])


def _tracked_html(text: str, message: EmailMessage) -> Markup:
    """Escape the body, turn each URL into a tracked link, keep paragraphs."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        parts.append(str(escape(text[last:match.start()])))
        url = match.group(0).rstrip(".,);")
        link = _link_for(message, url)
        parts.append(f'<a href="{escape(link_url(link))}">{escape(url)}</a>')
        parts.append(str(escape(match.group(0)[len(url):])))
        last = match.end()
    parts.append(str(escape(text[last:])))
    html = "".join(parts)
    paragraphs = [p.replace("\n", "<br>\n") for p in html.split("\n\n")]
    return Markup("".join(f"<p>{p}</p>\n" for p in paragraphs if p.strip()))


def _plain_html(text: str) -> Markup:
    """Escape the body and keep paragraphs; URLs stay as they are, as plain links."""
    html = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(text)))
    paragraphs = [p.replace("\n", "<br>\n") for p in html.split("\n\n")]
    return Markup("".join(f"<p>{p}</p>\n" for p in paragraphs if p.strip()))


def _link_for(message: EmailMessage, url: str) -> EmailLink:
    for link in message.links:
        if link.url == url:
            return link
    # Links are normally made when the message is queued (see `prepare_links`).
    link = EmailLink(message=message, url=url)
    db.session.add(link)
    db.session.flush()
    return link


def prepare_links(message: EmailMessage) -> None:
    """Record the tracked links of a message's body; called when it is queued."""
    for match in _URL.finditer(message.body_text):
        _link_for(message, match.group(0).rstrip(".,);"))


def build(message: EmailMessage, pdfs: dict[int, bytes] | None = None) -> bytes:
    """The full MIME message: text, HTML with tracking image, and the PDF if chosen.

    A caller sending a batch passes `pdfs`, so an invoice's PDF is rendered once for all
    its recipients (rendering is most of the cost of a message: ≈ 35 ms).
    """
    invoice = message.invoice
    view = view_url(message) if (invoice is not None and message.include_link) else None
    # A system email's password links are written in only now (app.admin.password_links).
    text = fill_links(message.body_text) if message.is_system else message.body_text
    # A template's {view_link} becomes this message's own link (or nothing, without one),
    # and then the link is not added again below the message.
    placed = not message.is_system and LINK_LATER in text
    text = text.replace(LINK_LATER, view or "") if placed else text
    if view and not placed:
        text = f"{text}\n\nView your invoice online: {view}\n"
    if message.is_system:  # no tracking image, no rewritten links
        html = render_template("emails/system.html", body_html=_plain_html(text))
    else:
        body_html = _tracked_html(message.body_text, message)
        if placed:
            body_html = Markup(str(body_html).replace(
                LINK_LATER, f'<a href="{escape(view)}">{escape(view)}</a>' if view else ""))
        html = render_template(
            "emails/invoice.html", message=message, invoice=invoice, body_html=body_html,
            view_url=None if placed else view, pixel_url=open_url(message))
    headers = [("From", mime.address(settings.get("sending.sender_name"),
                                     settings.get("sending.sender_address")))]
    if settings.get("sending.reply_to"):
        headers.append(("Reply-To", mime.address("", settings.get("sending.reply_to"))))
    if message.recipient_role != "bcc":  # a Bcc copy names no recipient in its headers
        headers.append(("To", mime.address(message.to_name, message.to_address)))
    cc = [a.strip() for a in message.cc_addresses.split(",") if a.strip()]
    if cc:
        headers.append(("Cc", mime.address_list(cc)))
    headers += [("Subject", mime.header_text(message.subject)),
                ("Message-ID", f"<{message.message_id}>"),
                ("X-Clientele-Message", make_token(STAMP, message.id, message.verp_token))]
    attachments = []
    if message.attach_pdf and invoice is not None:
        from app.invoices.pdf import pdf_filename

        pdf = _invoice_pdf(invoice, {} if pdfs is None else pdfs)
        attachments.append(mime.attachment_part(pdf, "application/pdf", pdf_filename(invoice)))
    return mime.message(headers, [mime.text_part(text, "plain"), mime.text_part(html, "html")],
                        attachments)


def _invoice_pdf(invoice: Invoice, pdfs: dict[int, bytes]) -> bytes:
    from app.invoices.pdf import render_invoice_pdf

    if invoice.id not in pdfs:
        pdfs[invoice.id] = render_invoice_pdf(invoice)
    return pdfs[invoice.id]
