"""Follow-ups: tasks about a customer for one person, and the ones the office's rules
suggest (accepted or dismissed once). The user is always passed in."""
