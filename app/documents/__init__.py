"""Documents on a customer file: upload (size-capped, type from content), encrypted
storage, listing by what the user may see, download, deletion and erasure.

Where the bytes live: in the database, in `document_chunks`, one Fernet token per 1 MB
chunk, under the same ENCRYPTION_KEYS as identification numbers — not in files under the
instance directory. Why:

- A backup is one snapshot (`flask backup create` copies the database only): the
  documents can't be missing from it or disagree with the rows that list them, and a
  restore brings both back together. Files would need their own copy, check and restore
  and could drift from the database between the two.
- `flask keys rotate` already re-keys every encrypted column in one transaction
  (all or nothing); a chunk column is one more such column. Rewriting files could not
  roll back with it.
- Erasure deletes the rows in the erasure's own transaction; on SQLite the chunks are
  deleted with `secure_delete` on, so the freed pages are zeroed rather than left
  holding the (encrypted) bytes.
- Several app servers share nothing but the database.

The cost, a larger database, is bounded by DOCUMENT_MAX_BYTES per document; chunking keeps
memory to about one chunk while storing, re-keying or downloading.

No Flask request globals: the user is passed in; the caller audits and commits.
"""
