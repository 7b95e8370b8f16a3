"""What every fedimage message shares: the app, who acted, the people and groups concerned."""

from __future__ import annotations

from typing import Any, ClassVar

from fedora_messaging.message import Message

SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
TEXT = {"type": "string"}
OPTIONAL_TEXT = {"type": ["string", "null"]}
NAMES = {"type": "array", "items": {"type": "string"}}
URL = {"type": "string", "format": "uri"}
# Who acted (a FAS name), null for fedimage itself (the health check, a scheduled job).
AGENT = OPTIONAL_TEXT


def body_schema(
    description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """A body schema with the fields every fedimage message carries."""
    return {
        "$schema": SCHEMA_DRAFT,
        "description": description,
        "type": "object",
        "properties": {"agent": AGENT, "groups": NAMES, **properties},
        "required": ["agent", *required],
    }


def names(*values: Any) -> list[str]:
    """The non-empty names given, each once, in order."""
    seen: dict[str, None] = {}
    for value in values:
        for name in value if isinstance(value, list | tuple) else [value]:
            if isinstance(name, str) and name.strip():
                seen.setdefault(name.strip(), None)
    return list(seen)


class FedimageMessage(Message):
    """Base of fedimage's messages; subclasses name the object the message is about."""

    # The body key holding the object the message is about; it carries "url".
    subject_key: ClassVar[str] = ""

    @property
    def app_name(self) -> str:
        return "fedimage"

    @property
    def app_icon(self) -> str:
        return "https://fedoraproject.org/favicon.ico"

    @property
    def agent_name(self) -> str | None:
        return self.body.get("agent")

    @property
    def subject(self) -> dict[str, Any]:
        return self.body.get(self.subject_key) or {}

    @property
    def url(self) -> str | None:
        return self.subject.get("url")

    @property
    def usernames(self) -> list[str]:
        """Everyone the message concerns (FMN notifies them): the agent and the people named."""
        return sorted(names(self.agent_name, *self.people()))

    @property
    def groups(self) -> list[str]:
        return sorted(names(self.body.get("groups", [])))

    def people(self) -> list[Any]:
        """The FAS names (or lists of them) of the people the subject names."""
        return []

    def __str__(self) -> str:
        lines = [self.summary]
        lines += [line for line in self.details() if line]
        if self.url:
            lines += ["", self.url]
        return "\n".join(lines)

    def details(self) -> list[str]:
        """The long form's lines after the summary."""
        return []
