"""What a receiving server's words say went wrong: wording -> reason, in many languages.

Learnt from the servers' own messages and documentation (Postfix, Exim, Sendmail, qmail,
Exchange/Microsoft 365 NDRs, Gmail's SMTP error reference, Yahoo, GMX/Web.de, Mimecast,
Barracuda, Spamhaus's guidance) and from how people write the same in their languages.

Order matters: the first rule that matches wins, and each rule is a claim about whose
problem a failure is. Rules about our side (the sender, our IP, our authentication) come
before rules about the recipient's mailbox, because a server that names both ("recipient
rejected: your IP is listed") refused *us*. The generic words ``WEAK_USERUNKNOWN`` matches
("mailbox unavailable", "recipient rejected", "not found") are used last and only when the
status code does not point elsewhere: RFC 5321 gives "mailbox unavailable" to every 550,
policy refusals included.

Every pattern is a flat alternation of literals with bounded gaps, so matching stays linear
on long input.
"""

from __future__ import annotations

import re

_G = r"[^.;:\n]{0,40}?"  # a short gap inside one clause
_W = r"(?: [^\s.;:()\[\],]{1,30}){0,6}? "  # up to six plain words, no bracket or stop

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("virusdetected", (
        r"\bvirus(?:es)? (?:found|detected|infected)", r"(?:found|detected|contains?|infected"
        r" with)(?: an?| the)? (?:virus|malware|trojan|worm)", r"\bmalware\b", r"\binfected\b",
        r"virus gefunden", r"virus détecté", r"virus rilevato", r"virus detectado",
        r"vírus detectado", r"virus aangetroffen", r"ウイルス", r"病毒", r"вирус", r"wirus",
    )),
    ("authfailure", (
        r"\bspf\b", r"\bdkim\b", r"\bdmarc\b", r"sender policy framework",
        r"sender is unauthenticated", r"unauthenticated (?:e-?mail|mail|message|sender)",
        r"anti-?spoofing", r"\bspoof",
        r"not pass (?:authentication|sender authentication)", r"authentication checks? failed",
        r"sender authentication failed", r"domain-based message authentication",
    )),
    ("rejected", (
        r"sender address rejected", r"sender (?:address|domain|e-?mail)" + _G +
        r"(?:rejected|invalid|unknown|not found|does not exist|refused|denied)",
        r"sender verify failed", r"sender verification failed", r"could not verify sender",
        r"sender denied", r"sender (?:was |is )?(?:rejected|refused|denied)",
        r"sender (?:is )?not (?:allowed|authori[sz]ed|permitted)",
        r"(?:not|isn't) (?:authori[sz]ed|allowed|permitted) to send",
        r"(?:do not|don't|does not|doesn't) have permission to (?:send|post)",
        r"delivery not authori[sz]ed", r"sendernotauthenticated", r"restrictedtorecipients",
        r"only accepts? (?:mail|messages|e-?mail) from", r"not a member of",
        r"members? only", r"only (?:list )?members (?:may|can)", r"not accept (?:mail|messages|e-?mail)"
        r" from (?:external|outside|unknown)", r"from external senders", r"mail from" + _G +
        r"(?:rejected|refused|not accepted)", r"domain of sender address" + _G +
        r"(?:does not exist|not found)", r"your (?:e-?mail )?address (?:has been|is) blocked",
        r"absender(?:adresse)? (?:abgelehnt|unbekannt|ungültig)", r"expéditeur (?:refusé|rejeté"
        r"|inconnu)", r"remitente (?:rechazado|desconocido|no autorizado)",
        r"mittente (?:rifiutato|sconosciuto|non autorizzato)", r"remetente (?:rejeitado"
        r"|desconhecido|não autorizado)", r"afzender (?:geweigerd|onbekend)",
        r"отправитель (?:отклонен|не найден)", r"nadawca (?:odrzucony|nieznany)",
        # "the sender's domain does not exist", in the languages of the rules below
        r"(?:remitente|mittente|remetente|expéditeur|absender|afzender|отправител|nadawc)" + _G +
        r"(?:no existe|non esiste|não existe|n'existe pas|existiert nicht|bestaat niet"
        r"|не существует|nie istnieje|inexistant|desconocid|sconosciut|desconhecid|inconnu"
        r"|unbekannt|onbekend|rechazad|rifiutat|rejeitad|refusé|abgelehnt|geweigerd|отклон"
        r"|odrzuc)",
    )),
    ("requireptr", (
        r"reverse dns", r"reverse (?:host ?name|lookup|dns lookup)", r"\bptr\b",
        r"\brdns\b", r"cannot find your (?:reverse )?hostname", r"ip name lookup failed",
        r"no reverse", r"reverse-dns", r"逆引き",
    )),
    ("norelaying", (
        r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited|refused)",
        r"(?:unable|not permitted|not allowed) to relay", r"we do not relay", r"no relaying",
        r"relaying (?:is )?(?:not|denied|prohibited)", r"relay not permitted",
        r"relay verweigert", r"relais refusé", r"rcpthosts",
    )),
    ("failedstarttls", (
        r"starttls", r"\btls (?:is )?required", r"must (?:use|issue) (?:a )?(?:starttls|tls)",
        r"encryption (?:is )?required", r"tls negotiation failed", r"requires? tls",
    )),
    ("securityerror", (
        r"auth(?:entication)? required", r"must (?:first )?authenticate",
        r"authori[sz]ation failed", r"(?<!sender )not authenticated",
    )),
    ("suspend", (
        r"(?:account|mailbox|inbox)" + _W + r"(?:has been |is |was )?"
        r"(?:disabled|suspended|deactivated|inactive|locked|frozen|blocked|closed|expired"
        r"|not active|no longer active)", r"inactive (?:user|account|mailbox)",
        r"(?:konto|postfach|benutzer|e-mail-adresse)" + _G + r"(?:gesperrt|deaktiviert"
        r"|inaktiv|stillgelegt)", r"(?:compte|boîte)" + _G + r"(?:désactivée?|suspendue?"
        r"|bloquée?|inactive?|fermée?)", r"(?:cuenta|buzón)" + _G + r"(?:desactivad[ao]"
        r"|suspendid[ao]|bloquead[ao]|inactiv[ao])", r"(?:account|casella)" + _G +
        r"(?:disattivat[ao]|sospes[ao]|bloccat[ao]|inattiv[ao])", r"(?:conta|caixa)" + _G +
        r"(?:desativada|suspensa|bloqueada|inativa)", r"(?:account|mailbox|postvak)" + _G +
        r"(?:geblokkeerd|gedeactiveerd|opgeschort)", r"ご?利用(?:いただけ|でき)ません", r"(?:アカウント|ユーザ)" + _G +
        r"(?:停止|無効|凍結|ロック)", r"(?:账户|帐户|帳戶|邮箱|信箱)" + _G + r"(?:停用|冻结|凍結"
        r"|禁用|锁定)", r"(?:ящик|аккаунт|учетная запись|пользователь)" + _G +
        r"(?:заблокирован|отключен|неактив)", r"(?:konto|skrzynka)" + _G + r"(?:zablokowan"
        r"|nieaktywn|wyłączon)",
    )),
    ("blocked", (
        r"blocked using", r"\bspamhaus", r"\bspamcop", r"barracudacentral", r"\bsorbs\b",
        r"\bdnsbl\b", r"\brbl\b", r"\b(?:black|block|deny|ban)[ -]?list(?:ed)?\b",
        r"(?<!not )listed (?:in|on|at|by) ", r"client host" + _G + r"(?:rejected|blocked|refused)",
        r"\b(?:ip|ip address|network|address range)\b" + _G +
        r"(?:blocked|banned|blacklisted|not allowed|refused|rejected)",
        r"banned sending ip", r"traffic not accepted from this ip",
        r"connections? (?:will not be|not) accepted", r"helo command rejected",
        r"(?:helo|ehlo)" + _G + r"(?:rejected|invalid|not allowed)", r"spam firewall",
        r"my name was rejected",
        r"blocked by (?:our|the) (?:bulk|spam|e-?mail) ", r"\[bl\d\d\]",
        r"not in (?:the )?(?:white ?list|allow ?list)", r"envelope blocked",
    )),
    ("badreputation", (
        r"reputation", r"user complaints", r"\[tss?0\d\]", r"excessive unknown recipients",
    )),
    ("ratelimited", (
        r"too many (?:connections|concurrent|messages|mails|e-?mails|recipients|sessions"
        r"|simultaneous|errors)(?! (?:on|in) (?:the |his |her )?(?:server|mailbox|inbox))",
        r"max(?:imum)? (?:number of )?messages? per (?:connection|session)", r"rate[ -]limit",
        r"rate of (?:unsolicited|e-?mail|mail|traffic)",
        r"exceeded (?:the )?(?:message |sending |connection )?rate", r"throttl",
        r"sending (?:quota|limit)", r"daily (?:user )?(?:sending|message|mail) (?:quota|limit)",
        r"message quota exceeded", r"unexpected volume", r"too (?:much|fast)",
        r"connection (?:rate|limit)", r"greylist", r"graylist", r"try again in \d",
        r"zu viele (?:verbindungen|nachrichten)", r"trop de (?:connexions|messages)",
        r"demasiadas (?:conexiones|mensajes)", r"troppe (?:connessioni|messaggi)",
        r"слишком много", r"zbyt wiele",
    )),
    ("spamdetected", (
        r"\bspam\b", r"unsolicited", r"\bjunk\b", r"\bbulk (?:mail|e-?mail)",
        r"spam-?verdacht", r"pourriel", r"indésirable", r"correo no deseado",
        r"posta indesiderata", r"迷惑メール", r"垃圾邮件", r"垃圾郵件", r"спам",
    )),
    ("blocked", (
        r"\bblocked\b", r"\bbanned\b", r"geblockt", r"bloqué", r"bloqueado", r"bloccato",
        r"遮断", r"拦截", r"заблокирован",
    )),
    ("contenterror", (
        r"attachment" + _G + r"(?:not allowed|prohibited|blocked|rejected|forbidden|refused)",
        r"(?:prohibited|banned|forbidden|blocked|dangerous) (?:attachment|file)",
        r"file (?:type|extension)" + _G + r"(?:not allowed|prohibited|blocked)",
        r"content (?:rejected|not accepted|refused)", r"(?:rejected|refused) (?:due to|because of"
        r"|for) (?:its )?content", r"message content", r"content filter", r"anhang" + _G +
        r"(?:nicht erlaubt|blockiert|abgelehnt)", r"pièce jointe" + _G + r"(?:interdite|refusée"
        r"|bloquée)", r"adjunto" + _G + r"(?:no permitido|bloqueado)", r"allegato" + _G +
        r"(?:non consentito|bloccato)",
    )),
    ("policyviolation", (
        r"(?<!privacy )(?<!cookie )polic(?:y|ies)", r"administrative prohibition", r"richtlinie", r"politique", r"política", r"politica",
        r"beleid", r"ポリシー", r"策略", r"политик", r"polityk",
    )),
    ("systemfull", (
        r"insufficient system storage", r"system storage", r"disk full", r"no space left",
        r"server (?:is )?(?:out of|full)", r"file ?system full",
    )),
    ("mailboxfull", (
        r"mailbox" + _G + r"(?:is |has )?(?:full|exceeded|over ?quota)", r"over ?quota",
        r"quota" + _G + r"(?:exceeded|reached|full|overflow)", r"exceed(?:s|ed)?" + _G +
        r"(?:quota|storage|mailbox size)", r"mailbox size limit", r"(?:storage|space)" + _G +
        r"(?:exceeded|full|not enough)", r"not enough (?:storage|space|disk)",
        r"insufficient (?:storage|space)", r"inbox (?:is )?full", r"mail ?box space",
        r"exhausted (?:the |his |her )?(?:allowed )?storage", r"too many (?:messages|mails)"
        r" (?:on|in) (?:the |his |her )?(?:server|mailbox|inbox)",
        r"speichervolumen", r"zu ?viele (?:mails|nachrichten) (?:auf|im)",
        r"mail ?folder is (?:full|over)", r"postfach" + _G + r"(?:voll|überschritten)",
        r"speicher(?:platz|grenze)?" + _G + r"(?:voll|überschritten|erschöpft)",
        r"(?:quota|kontingent) überschritten", r"boîte" + _G + r"pleine", r"quota dépassé",
        r"buzón" + _G + r"lleno", r"cuota" + _G + r"(?:excedida|superada)",
        r"casella" + _G + r"piena", r"quota superata", r"spazio esaurito",
        r"caixa" + _G + r"(?:cheia|lotada)", r"quota excedida", r"(?:postvak|mailbox) is vol",
        r"\bis vol\b", r"quota overschreden", r"容量(?:超過|オーバー|不足|制限を超え)",
        r"メールボックスがいっぱい", r"已满", r"空间不足", r"容量不足", r"超出.{0,6}容量", r"переполнен", r"превышен" + _G + r"(?:квот|размер ящика)",
        r"квот", r"skrzynka" + _G + r"pełna", r"przekroczon" + _G + r"(?:limit|quota|rozmiar)",
        r"brak miejsca",
    )),
    ("emailtoolarge", (
        r"(?:message|mail|e-?mail)" + _G + r"too (?:big|large)", r"too (?:big|large)",
        r"(?:message|mail) size", r"size" + _G + r"exceed", r"exceeds?" + _G +
        r"(?:size|length) limit", r"size limit", r"message length", r"maximum (?:message )?size",
        r"zu groß", r"trop (?:volumineux|gros|grand)", r"demasiado grande",
        r"troppo grand", r"muito grande", r"te groot", r"サイズ", r"过大", r"太大", r"過大",
        r"слишком больш", r"za duż",
    )),
    ("hostunknown", (
        r"host (?:or domain name )?not found", r"(?:host|domain)" + _G + r"(?:not found"
        r"|does not exist|doesn't exist|unknown|not known)", r"unknown (?:host|domain)",
        r"no such (?:host|domain)", r"unrouteable mail domain", r"unroutable",
        r"(?:host ?name|name|mx|dns) lookup fail",
        r"\bno mx\b", r"nxdomain", r"non-?existent (?:domain|host)", r"name service error",
        r"couldn't find any host", r"could not find any host", r"dns error",
        r"non-existent hosts", r"domain name not found", r"(?:domain|domäne)" + _G +
        r"(?:existiert nicht|unbekannt)", r"domaine" + _G + r"(?:inexistant|introuvable|inconnu)",
        r"dominio" + _G + r"(?:no existe|inexistente|non esiste|sconosciuto)",
        r"domínio" + _G + r"(?:não existe|inexistente)", r"domein" + _G + r"bestaat niet",
        r"ドメイン" + _G + r"(?:存在しません|見つかりません|不明)", r"域名" + _G + r"(?:不存在|无效)",
        r"домен" + _G + r"(?:не существует|не найден)", r"domena" + _G + r"nie istnieje",
    )),
    ("userunknown", (
        r"user(?:name)? unknown", r"unknown (?:user|recipient|mailbox|address|local[ -]part"
        r"|account|addressee|alias)", r"no such (?:user|mailbox|recipient|account|address"
        r"|local user|person|e-?mail)", r"(?:user|mailbox|recipient|account|address|addressee"
        r"|e-?mail)" + _G + r"(?:does not|doesn't|did not|do not) exist",
        r"(?:user|mailbox|recipient|account|addressee)" + _G + r"(?:not found|not listed|unknown"
        r"|not known|not recogni[sz]ed)", r"not (?:a )?(?:valid|known|registered) (?:user"
        r"|mailbox|recipient|address|account)", r"invalid (?:recipient|mailbox|address|user"
        r"|e-?mail address)", r"no mailbox here", r"recip(?:ient)?notfound",
        r"(?:doesn't|does not) have an? [\w.-]{0,40} ?account", r"unrouteable address",
        r"is not a registered", r"address (?:is )?(?:invalid|no longer valid)",
        r"no longer (?:valid|available|in use|exists|active)", r"not listed in",
        r"mailbox not found", r"access denied\. as\(",
        r"(?:empfänger|benutzer|adresse)" + _G + r"unbekannt", r"unbekannte[rn]? (?:empfänger"
        r"|benutzer|adresse)", r"(?:postfach|mailbox|adresse|konto|benutzer)" + _G +
        r"(?:existiert nicht|gibt es nicht|nicht vorhanden)", r"ungültige (?:empfänger)?adresse",
        r"(?:utilisateur|destinataire|adresse)" + _G + r"(?:inconnue?|invalide|inexistante?)",
        r"n'existe pas", r"(?:usuario|destinatario)" + _G + r"(?:desconocido|inexistente)",
        r"no existe", r"dirección" + _G + r"(?:no válida|inválida|inexistente)",
        r"(?:utente|destinatario|indirizzo|casella)" + _G + r"(?:sconosciut|inesistent"
        r"|non valid)", r"non esiste", r"(?:usuário|utilizador|destinatário|endereço)" + _G +
        r"(?:desconhecido|inexistente|inválido)", r"não existe",
        r"(?:gebruiker|ontvanger|adres)" + _G + r"(?:onbekend|bestaat niet|ongeldig)",
        r"onbekende (?:gebruiker|ontvanger)", r"bestaat niet", r"ongeldig (?:e-?mail)?adres",
        r"存在しません", r"存在しない", r"ユーザー?不明", r"宛先不明", r"見つかりません",
        r"不明なユーザ", r"不存在", r"查无此人", r"无此用户", r"無此用戶",
        r"(?:пользовател|получател|адресат|адрес|ящик)" + _G + r"(?:не существует|не найден"
        r"|неизвест)", r"неизвестн" + _G + r"(?:пользовател|получател|адресат)",
        r"нет такого", r"несуществующ", r"(?:użytkownik|adres|skrzynka|odbiorca)" + _G +
        r"nie istnieje", r"nieznany (?:użytkownik|adresat|odbiorca)", r"nie ma takiego",
        r"brak (?:takiego )?użytkownika",
    )),
    ("hasmoved", (
        r"has moved", r"moved (?:permanently )?to", r"user not local", r"new address",
        r"changed (?:his|her|their|the) (?:e-?mail )?address",
    )),
    ("notaccept", (
        r"null mx", r"(?:domain|host|server|system)" + _G + r"(?:does not|doesn't) accept"
        r" (?:any )?(?:e-?mail|mail|messages)", r"accepts no mail", r"not accepting (?:any )?mail",
    )),
    ("filtered", (
        r"rejected by (?:the )?(?:recipient'?s? )?(?:sieve|filter|rule)",
        r"(?:sieve|filter|mail rule)" + _G + r"(?:rejected|refused|discarded)",
        r"recipient (?:has )?(?:chosen to )?(?:block|reject)",
    )),
    ("syntaxerror", (
        r"syntax error", r"command (?:not )?unrecogni[sz]ed", r"invalid command",
        r"bad sequence of commands", r"line too long", r"protocol violation",
    )),
    ("notcompliantrfc", (
        r"(?:violat|not compliant|non-?compliant|compl(?:y|iance)|conform)" + _G + r"rfc ?\d{3,4}",
        r"rfc ?\d{3,4}" + _G + r"(?:violat|not compliant|non-?compliant|compliance|conform)",
        r"not (?:rfc ?\d{0,4}|standards?)[ -]?compliant",
        r"malformed (?:header|message|mime)", r"duplicate (?:header|message-id)",
        r"bare (?:lf|linefeed|line feed|cr)", r"missing (?:required )?(?:header|from|date|message-id)",
    )),
    ("expired", (
        r"retry time(?:out)? (?:exceeded|not reached)", r"delivery time expired",
        r"message expired", r"\bexpired\b", r"gave up", r"(?:too|very) long",
        r"maximum (?:delivery )?attempts", r"too many (?:delivery )?(?:attempts|retries)",
        r"could not (?:be )?deliver(?:ed)? for (?:the last )?\d", r"cannot send message for \d",
        r"queue lifetime",
    )),
    ("networkerror", (
        r"connection (?:timed out|refused|reset|lost|closed|dropped)", r"timed out",
        r"time-?out", r"(?:could|can)(?:not|n't) connect", r"unable to connect",
        r"no route to host", r"network (?:is )?unreachable", r"host unreachable",
        r"lost connection", r"mail loop", r"routing loop", r"loops? back to myself",
        r"hop count exceeded", r"too many hops", r"establish an smtp connection",
        r"message is looping",
        r"did not accept our requests to connect", r"verbindung" + _G + r"(?:abgelehnt"
        r"|unterbrochen|zeitüberschreitung)", r"délai (?:d'attente )?dépassé",
        r"接続(?:でき|に失敗|がタイムアウト)",
    )),
    ("mailererror", (
        r"mailer error", r"unknown mailer", r"local delivery failed", r"procmail",
        r"command (?:died|failed)", r"pipe to",
    )),
    ("systemerror", (
        r"system error", r"internal (?:server )?error", r"local error", r"temporary"
        r" (?:local |system )?(?:failure|problem|error)", r"server busy",
        r"resources? temporarily unavailable", r"error in processing", r"(?:server|service|system)" + _G +
        r"(?:temporarily )?(?:unavailable|not available)", r"i/o error",
        r"temporär nicht verfügbar", r"temporairement indisponible",
        r"temporalmente no disponible", r"temporaneamente non disponibile",
        r"temporariamente indisponível", r"tijdelijk niet beschikbaar", r"一時的",
        r"временно недоступ", r"tymczasowo niedostępn",
    )),
)

RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile("|".join(patterns))) for reason, patterns in _RULES
)

# RFC 5321's generic words and prefixes that many servers reuse for any refusal.
WEAK_USERUNKNOWN = re.compile(
    r"mailbox (?:is |currently )?(?:unavailable|not available)|recipient (?:address )?rejected"
    r"|address rejected|\bnot found\b|invalid address|no valid recipients?"
    r"|unzustellbar|non recapitabile"
)

_SPACES = re.compile(r"\s+")
MAX_TEXT = 20_000


def normalise(text: str | None) -> str:
    """Lower case, one space between words, typographic apostrophes made plain, capped."""
    if not text:
        return ""
    text = text[:MAX_TEXT].replace("\u2019", "'").lower()
    return _SPACES.sub(" ", text).strip()


def text_reason(text: str) -> str | None:
    """The first reason whose wording the (normalised) text uses."""
    for reason, pattern in RULES:
        if pattern.search(text):
            return reason
    return None
