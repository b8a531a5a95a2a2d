"""The root of every error the app raises on purpose, so a front end catches one type, shows its
message (one line, for the person) and lets anything else surface as the bug it is.

Exceptions::

    AssistantError
    ├── ConfigError            the config file or an ASSISTANT_* variable is unusable
    ├── SetupError             a session cannot start (workspace, --allow-host, model, resume)
    ├── SessionError           a session rule refuses a request (undo, revoke, switch model)
    ├── SecretError            a secret's name or value is refused
    ├── KeyringUnavailable     no usable keyring here
    ├── JournalError           the journal cannot answer (see assistant.journal)
    ├── ModelError             the model failed (see assistant.agent.model_errors)
    ├── RecipeError            a recipe file is refused (see assistant.recipes)
    ├── ExportError            an export cannot be written
    ├── ImportRefused          a JSONL import is refused
    ├── CommandError           a CLI command fails (with its exit code)
    └── SlashError             a slash command cannot be understood (the app)

Tools raise ``tools.base.ToolError`` (tools never import the app); the gate turns it into a
result the model reads, so it never reaches a front end.
"""

from __future__ import annotations


class AssistantError(Exception):
    """An expected failure; ``str(exc)`` says what and how to fix it, in one line."""


class SetupError(AssistantError):
    """The session cannot start (no workspace, bad --allow-host, no model); one clear line.

    ``model_problem`` marks errors about the model or its key (exit code 4 on the CLI).
    """

    def __init__(self, message: str, *, model_problem: bool = False) -> None:
        super().__init__(message)
        self.model_problem = model_problem
