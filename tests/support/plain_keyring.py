"""A keyring backend that keeps values in a plain file, as keyrings.alt's PlaintextKeyring does
(base64 only), for tests of how the app treats such a backend. Its file is ``file_path``:
$TEST_PLAINTEXT_KEYRING, else keyring_pass.cfg under $ASSISTANT_HOME. Subprocesses select it
with PYTHON_KEYRING_BACKEND=tests.support.plain_keyring.PlaintextFileKeyring."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextFileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def file_path(self) -> str:
        default = Path(os.environ["ASSISTANT_HOME"]) / "keyring_pass.cfg"
        return os.environ.get("TEST_PLAINTEXT_KEYRING") or str(default)

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(Path(self.file_path).read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        raw = self._load().get(f"{service}/{username}")
        return base64.b64decode(raw).decode() if raw is not None else None

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = base64.b64encode(password.encode()).decode()
        Path(self.file_path).write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        import keyring.errors

        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
        Path(self.file_path).write_text(json.dumps(data))
