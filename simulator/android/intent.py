"""Intents as ``am`` builds them from its command line, and as simulated apps receive them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Intent:
    action: str | None = None
    component: str | None = None  # "pkg/.Activity" or "pkg/pkg.Activity"
    package: str | None = None
    data: str | None = None
    categories: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    flags: int = 0

    @property
    def target_package(self) -> str | None:
        if self.component:
            return self.component.split("/", 1)[0]
        return self.package

    def describe(self) -> str:
        """The ``Intent { ... }`` text ``am`` prints."""
        parts = []
        if self.action:
            parts.append(f"act={self.action}")
        if self.categories:
            parts.append("cat=[" + ",".join(self.categories) + "]")
        if self.data:
            parts.append(f"dat={self.data}")
        if self.flags:
            parts.append(f"flg=0x{self.flags:x}")
        if self.package and not self.component:
            parts.append(f"pkg={self.package}")
        if self.component:
            parts.append(f"cmp={self.component}")
        if self.extras:
            parts.append("(has extras)")
        return "Intent { " + " ".join(parts) + " }"
