"""annotate serve: the screens in a browser, one account per session (needs the serve extra)."""
