"""Child processes that must not outlive their parent (the dev servers `make run` starts)."""
from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies, even by kill -9.

    Call it in the child (a `preexec_fn`, or first thing after a fork). Linux only;
    elsewhere it does nothing and the usual shutdown paths still apply.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
