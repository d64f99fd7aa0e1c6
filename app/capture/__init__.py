"""Captured correspondence: mail staff BCC or forward to their personal drop-box address,
filed on the timeline of the customers it is about.

- `dropbox`: the addresses (`file+<token>@BOUNCE_DOMAIN`), their rotation, and whether a
  message was delivered to one: asked before the bounce parser, so a bounce forwarded to
  a drop-box never marks an address.
- `reading`: what a message says and which addresses it is about (pure Python).
- `filing`: capturing, filing by address or by hand, unfiling, deleting, erasure.
- `access`: who may read a message (every customer it is on, or private).

What is stored: the message's subject, people, text and attachment list, and the raw
message itself, all encrypted (app.crypto, the same keys as identification numbers); the
inbound copy is emptied once read. Attachments become documents (encrypted chunks) on
each customer the message is filed on.
"""
