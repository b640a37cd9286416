from __future__ import annotations

import pytest
from node_support import NODE_PROJECTS, npm_ci


@pytest.fixture(scope="session")
def node_programs() -> None:
    """The Node.js programs' node_modules, installed from their lock files."""
    for project in NODE_PROJECTS:
        npm_ci(project)
