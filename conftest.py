"""Files pytest must not import while collecting doctests: entry points and test apps."""

collect_ignore = ["streams/__main__.py", "tests/integration/apps", "tests/reliability/apps"]
