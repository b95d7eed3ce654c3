"""Repository-wide pytest settings. The wmpf-hil plugin itself arrives through its pytest11 entry point."""

# Benchmarks run on demand (see benchmarks/README.md); fixtures and reports hold data, not tests.
collect_ignore = ["benchmarks", "fixtures", "reports", "docs"]

# The plugin tests (tests/test_plugin.py) run pytest inside pytest.
pytest_plugins = ["pytester"]
