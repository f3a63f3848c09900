"""A tiny registry: one per extension point (triage backend, embedder, LLM backend, store).

Config names a backend by string; the UI and CLI ask the registry for it and never import
an implementation directly, so a new backend is one decorated factory away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from complaint_desk.errors import ActionableError

T = TypeVar("T")


class UnknownBackendError(ActionableError, ValueError):
    """Config named a backend nobody registered; the message lists the ones that exist."""


class Registry(Generic[T]):
    """Factories keyed by a config string."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} backend {name!r} registered twice")
            self._factories[name] = factory
            return factory

        return decorate

    def names(self) -> list[str]:
        return sorted(self._factories)

    def create(self, name: str, *args: object, **kwargs: object) -> T:
        try:
            factory = self._factories[name]
        except KeyError:
            raise UnknownBackendError(
                f"未知的{self.kind}后端：{name!r}。可选：{', '.join(self.names())}"
            ) from None
        return factory(*args, **kwargs)
