"""The editor's use of y-websocket internals (frontend/src/compat-y-websocket.js) still works
with the installed y-websocket: compat_y_websocket.mjs checks each one under node."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[2]
CHECKS = Path(__file__).parent / "compat_y_websocket.mjs"


def test_what_the_editor_relies_on_in_y_websocket_still_holds() -> None:
    # `make test` installs node_modules; a missing node is an error there, not a skip.
    assert shutil.which("node"), "node is needed for this test"
    assert (ROOT / "node_modules" / "y-websocket").is_dir(), "run `make node-deps`"
    result = subprocess.run(
        # frontend/src is ES modules without a package.json "type": node says so once.
        ["node", "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(CHECKS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert len(passed) == 2, result.stdout
