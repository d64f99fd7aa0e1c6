"""Wording of non-standard bounces: how to spot one, and temporary versus permanent."""

from __future__ import annotations

import re
from email.message import Message

from app.events.dsn import STATUS_RE
from app.events.mailparts import header, header_all

_I = re.IGNORECASE | re.MULTILINE

BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|not delivered|non-?deliver|delivery (?:status notification|"
    r"notification|failure|failed|has failed|problem|report|delayed|delay|warning|error)"
    r"|failure notice|failed delivery|failed mail\b|automatically rejected mail"
    r"|\bbounce (?:notification|notice|report)"
    r"|mail delivery (?:failed|failure|system|subsystem|problem)"
    r"|mail system error|returned mail|return(?:ed|ing)? to sender|delayed mail|mail could not be"
    r"|message could not be|could not send message|message status - undeliverable"
    r"|permanent delivery failure|email delivery failure|nondeliverable|delivery_failure"
    r"|unzustellbar|nicht zustellbar|zustellung (?:fehlgeschlagen|verz[öo]gert)|unzustellbare"
    r"|non remis|[ée]chec de (?:la )?(?:remise|distribution|livraison)|non d[ée]livr[ée]"
    r"|non recapitabile|impossibile recapitare|mancato recapito|errore di consegna"
    r"|no se puede entregar|no entregado|entrega fallida|error de entrega|no se pudo entregar"
    r"|n[ãa]o (?:foi )?entregue|falha (?:na|de) entrega|n[ãa]o [ée] poss[íi]vel entregar"
    r"|onbestelbaar|niet afgeleverd|niet bezorgd|kan niet worden bezorgd"
    r"|nie mo[żz]na dostarczy[ćc]|niedostarczon|nedoru[čc]iteln"
    r"|недостав|не доставлен|ошибка доставки|не удалось доставить"
    r"|配信不能|配送エラー|宛先不明|未送達|配信エラー|送信エラー|退信|投递失败|无法投递|發送失敗|退回|無法傳遞"
    r"|\bnot member article from\b",
    _I,
)

DAEMON_FROM_RE = re.compile(
    r"mailer[-_]?daemon|mail[-_]?daemon|post_?master|mail delivery (?:system|subsystem|service)"
    r"|mail administrator|mdaemon@|mail[-_]?router|\bmailer@|ndr@|bounce[sd]?@|"
    r"nondeliverable|non-deliverable|returned mail",
    re.IGNORECASE,
)
# A From: whose address is empty ("Jetmail System" <>) is a mailer writing as the null sender,
# or a spammer hiding behind it: alone, without failure wording or a recipient, it proves nothing.
NULL_FROM_RE = re.compile(r"<\s*>")

BOUNCE_BODY_RE = re.compile(
    r"created automatically by mail delivery software|this is the qmail-send program"
    r"|this is the mail system at host|sorry to have to inform you that your message"
    r"|had permanent fatal errors|permanent fatal delivery errors|fatal delivery errors"
    r"|could not be delivered to one or more|delivery has failed to these recipients"
    r"|delivery is delayed to these recipients|did not reach some or all of the intended"
    r"|delivery to the following recipients? (?:failed|has been delayed)"
    r"|the email account that you tried to reach does not exist|message wasn'?t delivered to"
    r"|your message couldn'?t be delivered|delivery incomplete|unable to deliver your message"
    r"|unable to deliver (?:the|this) message|was not delivered to:|wasn'?t able to deliver"
    r"|the message that you sent was undeliverable|has not yet been delivered"
    r"|could not send message for past|transcript of session follows"
    r"|after one or more unsuccessful delivery attempts|running the courier mail server"
    r"|smtp error from remote (?:mail )?server|(?:message|mail) could not be delivered"
    r"|could not be delivered to\s*:"
    r"|^error message below:"
    r"|c(?:ould|an)not be delivered to the following|the following recipient\(?s?\)? could not be"
    r"|failed addresses follow|returned mail follows|message not delivered to the following"
    r"|your message to .{1,80} was automatically rejected"  # Sieve reject (Dovecot, Cyrus)
    r"|that'?s not a valid (?:user|mailbox|recipient) here"  # one-line notices (vpopmail, qmail)
    # A list server refusing our mail to a list address (fml: "NOT MEMBER article from ...").
    r"|you are not a member of this (?:mailing )?list|your (?:mail|article) to .{1,80} was rejected"
    r"|there was an error delivering your mail to"  # DragonFly Mail Agent
    r"|(?:an |the )?e-?mail you sent (?:was|has been) rejected"
    r"|your message to .{1,80} (?:couldn'?t|could not) be delivered|delivery failure report"
    r"|following addresses? failed|undeliverable to the following|delivery status notification"
    r"|nachrichten[üu]bermittlungssystem|nicht zugestellt werden|konnte nicht zugestellt"
    r"|n'a pas pu [êe]tre (?:remis|distribu|d[ée]livr|livr)|impossible de (?:remettre|livrer)"
    r"|no (?:se )?(?:ha )?pud?(?:o|ido) (?:ser )?entregar|no pudo ser entregado"
    r"|non [èe] stato possibile (?:recapitare|consegnare)|impossibile recapitare"
    r"|n[ãa]o foi poss[íi]vel entregar|n[ãa]o p[ôo]de ser entregue"
    r"|kon niet (?:worden )?(?:afgeleverd|bezorgd)|niet worden afgeleverd"
    r"|не может быть доставлено|не удалось доставить|создано автоматически"
    r"|配信できませんでした|送信できませんでした|届きませんでした|配信に失敗"
    r"|配送できませんでした|送信に失敗しました|配信されませんでした"
    r"|无法投递|系统退信|投递失败|发送失败|無法傳遞|未能成功送达",
    _I,
)

# Lines where the returned original (or its headers) starts; nothing below is the report.
ORIGINAL_START_RE = re.compile(
    r"^[\s\-=_*>#]*(?:this is a copy of the (?:message|headers)|below this line is a copy"
    r"|(?:original|returned|unsent|undelivered|rejected) message(?: headers?)?"
    r"(?: follows| below| text)?[\s\-=_*:.]*$|original message headers"
    r"|(?:the )?original message (?:follows|headers)|message headers? follows?"
    r"|(?:the )?headers? of (?:the )?original message|original message details"
    r"|ursprüngliche nachricht|kopie der nachricht|message d'origine|mensaje original"
    r"|messaggio originale|mensagem original|oorspronkelijk bericht|原始邮件|元のメッセージ"
    r"|(?:received|return-path|dkim-signature|arc-seal|x-received):\s)",
    _I,
)

DOC_DELAY_RE = re.compile(
    r"will (?:continue|keep) (?:trying|to try|retrying|attempting)|will be retried"
    r"|will retry|still (?:trying|being retried)|not yet been delivered"
    r"|could not send message for past|this is a warning (?:message )?only|warning only"
    r"|(?:do not|don'?t) need to resend|delivery attempts will continue|delivery incomplete"
    r"|there was a temporary problem|(?:message|delivery) (?:is |has been |was )?delayed"
    r"|delayed mail|delay reason|delivery delay|wird (?:weiterhin|erneut) versucht"
    r"|noch nicht zugestellt|zustellung verz[öo]gert|n'a pas encore [ée]t[ée]"
    r"|remise diff[ée]r[ée]e|todav[íi]a no se ha entregado|entrega retrasada"
    r"|non [èe] stato ancora consegnato|consegna ritardata|ainda n[ãa]o foi entregue"
    r"|entrega atrasada|nog niet (?:afgeleverd|bezorgd)|bezorging vertraagd"
    r"|配信が遅延|遅延しています|延迟投递|延迟发送|доставка задерживается",
    _I,
)

DOC_PERMANENT_RE = re.compile(
    r"permanent error|permanent fatal errors?|fatal delivery errors|failed permanently"
    r"|permanently failed|permanent failure|i'?ve given up|have given up|gave up|giving up"
    r"|retry time(?:out)? (?:not reached|exceeded)|retry timeout exceeded|message expired"
    r"|delivery time expired|removed from the mail queue|not going to try again"
    r"|unrecoverable error|delivery has failed to these recipients|dauerhafter fehler"
    r"|maximum (?:number of )?delivery attempts"
    r"|attempt\(?s?\)?\s+to\s+deliver\s+over\s+a\s+period\s+of"
    # Sendmail's queue timeout (savemail.c): the last word on a message it kept deferring.
    r"|could not be delivered for \d+ (?:days?|hours?)|will be deleted from (?:the )?queue"
    r"|erreur permanente|error permanente|errore permanente|erro permanente|permanente fout",
    _I,
)

# A warning that a mailbox of ours is filling up ("Your mailbox is almost full", from our own
# postmaster): it names our mailbox and the code it will refuse mail with, and nothing failed.
QUOTA_WARNING_SUBJECT_RE = re.compile(
    r"(?:almost|nearly) full|quota warning|approaching (?:its|your|the) (?:quota|storage limit)"
    r"|(?:fast|beinahe) voll|presque pleine|casi llen[ao]|quasi pien[ao]|bijna vol"
    r"|容量警告|容量(?:が|の)?(?:上限に)?近",
    re.IGNORECASE,
)

# Success notices in plain text ("Delivery Status Notification (Success)", Exchange's
# "Delivered:"/"Relayed:"): they name the recipient that got the mail, not one that failed.
SUCCESS_RE = re.compile(
    r"\(success\)|^\s*(?:delivered|relayed|zugestellt|weitergeleitet|remis|entregado)\s*:"
    r"|(?:has been|was|were) (?:successfully )?delivered to(?: the following| these)?"
    r"|successfully delivered|delivered successfully|delivery to these recipients or groups is"
    r" complete|erfolgreich zugestellt|wurde zugestellt|a bien [ée]t[ée] (?:remis|distribu)"
    r"|se ha entregado correctamente|[èe] stato consegnato",
    _I,
)

# "Fwd: Returned mail": a person passing a bounce on, not a mailer reporting one.
FORWARD_SUBJECT_RE = re.compile(r"(?i)^\s*(?:fwd?|tr|wg|rv|enc|doorst|vs)\s*:")
# "Re: Invoice 12": a person answering (English, German, Nordic, Dutch, Polish, Italian,
# Turkish prefixes). Bounces are not replies, and their subjects say what failed.
REPLY_SUBJECT_RE = re.compile(r"(?i)^\s*(?:re|aw|sv|antw|odp|rif|ynt)\s*:")

DELAY_SUBJECT_RE = re.compile(
    r"\bdelay|warning|still being retried|not yet delivered|verz[öo]gert|retard|retras"
    r"|ritard|atras|vertraag|遅延|延迟",
    re.IGNORECASE,
)

_TEMP_WORDS_RE = re.compile(
    r"temporar|try again later|try later|deferred|greylist|graylist|will retry|retry later"
    r"|too many connections|rate limit|vor[üu]bergehend|temporaire|temporal|temporane",
    re.IGNORECASE,
)

# Only reply codes servers really send, so invoice numbers like "Invoice 404" do not count.
BASIC_CODE_RE = re.compile(
    r"(?:^|[\s:(\[\"'#=])(4[25]\d|5[0-5]\d)(?=[\s\-.:,)\]]|$)"
    r"(?!\s*(?:bytes|kb|mb|seconds|hours|minutes))",
    re.IGNORECASE,
)


def subject_says_bounce(msg: Message) -> bool:
    return bool(BOUNCE_SUBJECT_RE.search(header(msg, "subject")))


def from_daemon(msg: Message) -> bool:
    return names_mailer(msg) or bool(NULL_FROM_RE.search(header(msg, "from")))


def names_mailer(msg: Message) -> bool:
    """The From: names a mailer or postmaster (not merely the empty address)."""
    return bool(DAEMON_FROM_RE.search(header(msg, "from")))


def forwarded_by_person(msg: Message) -> bool:
    """A person forwarding mail (often a bounce of their own) to us."""
    return (
        bool(FORWARD_SUBJECT_RE.match(header(msg, "subject")))
        and not from_daemon(msg)
        and not header(msg, "x-failed-recipients")
    )


def replied_by_person(msg: Message) -> bool:
    """A person's answer to our mail: its words about failed mail are not a mailer's report.

    ("The email you sent was rejected by our filter, please write to ap@...")
    """
    return (
        (bool(header(msg, "in-reply-to")) or bool(REPLY_SUBJECT_RE.match(header(msg, "subject"))))
        and not names_mailer(msg)
        and not _failure_header(msg)
        and not _null_return_path(msg)
    )


def _null_return_path(msg: Message) -> bool:
    # The receiving MTA writes Return-Path from MAIL FROM: a person's reply never comes from
    # the null sender, a mailer's notice does (RFC 5321 6.1), "Re:" subject or not.
    paths = header_all(msg, "return-path")
    return bool(paths) and all(NULL_FROM_RE.fullmatch(p.strip()) for p in paths)


def sent_by_mailer(msg: Message) -> bool:
    """From: is a mailer or the null sender, or a mailer's failure header is set."""
    return from_daemon(msg) or _failure_header(msg)


def _failure_header(msg: Message) -> bool:
    return bool(header(msg, "x-failed-recipients") or header(msg, "x-ms-exchange-message-is-ndr"))


def bounce_signal(msg: Message, report: str) -> int:
    """2 when a mailer clearly sent a failure report, 1 when it might be one, else 0."""
    if _failure_header(msg):
        return 2
    daemon = from_daemon(msg)
    subject = subject_says_bounce(msg)
    body = bool(BOUNCE_BODY_RE.search(report[:20_000]))
    if (daemon and (subject or body)) or (subject and body):
        return 2
    return 1 if (daemon or subject or body) else 0


def reports_failure(report: str) -> bool:
    """A mailer's failure wording or an enhanced failure code, not a lone number ("room 512")."""
    text = report[:20_000]
    return bool(BOUNCE_BODY_RE.search(text)) or context_codes(text)[0] is not None


def warns_of_quota(msg: Message) -> bool:
    return bool(QUOTA_WARNING_SUBJECT_RE.search(header(msg, "subject")))


def reports_success(msg: Message, report: str) -> bool:
    """A notice that mail was delivered, with no failure wording or failure code in it."""
    text = report[:20_000]
    return (
        bool(SUCCESS_RE.search(header(msg, "subject")) or SUCCESS_RE.search(text))
        and not _failure_header(msg)
        and not any(_failure_wording(m.group(0)) for m in BOUNCE_BODY_RE.finditer(text))
        and context_codes(text) == (None, None)
    )


def _failure_wording(phrase: str) -> bool:
    # "Delivery Status Notification" names the kind of notice, success or failure alike.
    return phrase.lower() != "delivery status notification"


def document_leaning(msg: Message, report: str) -> str | None:
    """"delayed" or "rejected" when the whole notice says so unambiguously."""
    delay = bool(DOC_DELAY_RE.search(report))
    permanent = bool(DOC_PERMANENT_RE.search(report))
    if delay and not permanent:
        return "delayed"
    if permanent and not delay:
        return "rejected"
    return None


def subject_says_delay(msg: Message) -> bool:
    return bool(DELAY_SUBJECT_RE.search(header(msg, "subject")))


def context_codes(text: str) -> tuple[str | None, str | None]:
    """(enhanced code, basic SMTP reply code) of the first failure in `text`."""
    enhanced = next(
        (".".join(m.groups()) for m in STATUS_RE.finditer(text) if m.group(1) in "45"), None
    )
    basic = next((m.group(1) for m in BASIC_CODE_RE.finditer(text)), None)
    return enhanced, basic


def decide_status(context: str, leaning: str | None, fallback: str) -> str:
    """Temporary or permanent for one recipient of a non-standard bounce."""
    if leaning:
        return leaning
    enhanced, basic = context_codes(context)
    code = enhanced or basic
    if code:
        return "delayed" if code.startswith("4") else "rejected"
    if _TEMP_WORDS_RE.search(context):
        return "delayed"
    return fallback
