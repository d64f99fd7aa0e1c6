"""What needs attention: one kind of item raised once per condition, resolved when the
condition clears, dismissed once by a person; and the notifications that tell people."""
