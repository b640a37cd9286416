"""A pack that cannot start: it imports a module that does not exist."""

import nonexistent_module_for_offline_tests  # noqa: F401
