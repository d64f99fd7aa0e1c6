class BackupError(Exception):
    """A backup can't be made, read or restored; the message says why."""
