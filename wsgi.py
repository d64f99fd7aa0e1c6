import gc

from app import create_app

app = create_app()
# What starting made (modules, templates, phone-number tables) lives as long as the
# process: frozen, a full garbage collection no longer walks it during some request.
gc.collect()  # what is garbage already must not be frozen with it
gc.freeze()
