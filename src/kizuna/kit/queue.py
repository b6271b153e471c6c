"""Durable jobs over Huey: ``@task`` declares a job, ``enqueue`` sends it, ``run_worker`` runs them.

The queue is an SQLite file by default (embedded, no server) and Redis when ``KIZUNA_QUEUE_URL``
says ``redis://…``. Tasks are declared once at import time (each domain's ``tasks.py``) and bound
to whichever queue is configured when it is first used, so the worker, the web process and the
tests choose the backend at run time.

Huey deletes a message when a worker takes it, so a worker killed mid-task loses that message.
Jobs are therefore idempotent re-readers of durable state (the outbox), and a periodic sweep
re-enqueues what is still due: the queue is the doorbell, the database is the record.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

from kizuna.settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])
__all__ = ["configure", "crontab", "enqueue", "get_huey", "on_worker_start", "run_worker", "task"]


@dataclass(frozen=True)
class TaskSpec:
    """A declared job: its ``domain.verb`` name, function, retry rule and optional schedule."""

    name: str
    func: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    schedule: Callable[[Any], bool] | None = None


_SPECS: dict[str, TaskSpec] = {}
_STARTUP: dict[str, Callable[[], Any]] = {}
_BOUND: dict[str, TaskWrapper] = {}
_HUEY: list[Huey] = []


def task(
    name: str,
    *,
    retries: int = 0,
    retry_delay: int = 0,
    schedule: Callable[[Any], bool] | None = None,
) -> Callable[[F], F]:
    """Declare ``func`` as the job ``name``; ``schedule`` (a ``crontab``) makes it periodic."""

    def decorator(func: F) -> F:
        spec = TaskSpec(name, func, retries, retry_delay, schedule)
        _SPECS[name] = spec
        if _HUEY:
            _bind(_HUEY[0], spec)
        return func

    return decorator


def on_worker_start(func: F) -> F:
    """Run ``func`` in each worker when it starts (e.g. recover work a killed worker left)."""
    _STARTUP[func.__module__ + "." + func.__name__] = func
    if _HUEY:
        _HUEY[0].on_startup(func.__name__)(func)
    return func


def make_huey(url: str, name: str = "kizuna", *, immediate: bool = False) -> Huey:
    """A Huey for ``url``: ``sqlite:///file``, ``redis://host:port/db`` or ``memory://``."""
    options: dict[str, Any] = {"results": False, "utc": True, "store_intermediate_errors": False}
    if url.startswith("redis://") or url.startswith("rediss://"):
        return RedisHuey(name, url=url, immediate=immediate, **options)
    if url.startswith("memory://"):
        return MemoryHuey(name, immediate=immediate, **options)
    if url.startswith("sqlite:///"):
        return SqliteHuey(
            name, filename=url.removeprefix("sqlite:///"), immediate=immediate, **options
        )
    raise ValueError(
        f"KIZUNA_QUEUE_URL has value {url!r}; use sqlite:///FILE, redis://HOST:PORT/DB or memory://"
    )


def configure(url: str | None = None, *, name: str = "kizuna", immediate: bool = False) -> Huey:
    """Create the process's queue (from settings when ``url`` is None) and bind every task."""
    huey = make_huey(url or get_settings().queue_url, name, immediate=immediate)
    _HUEY[:] = [huey]
    _BOUND.clear()
    for spec in _SPECS.values():
        _bind(huey, spec)
    for func in _STARTUP.values():
        huey.on_startup(func.__name__)(func)
    return huey


def get_huey() -> Huey:
    """The configured queue, configured from settings on first use."""
    return _HUEY[0] if _HUEY else configure()


def _bind(huey: Huey, spec: TaskSpec) -> None:
    options = {"retries": spec.retries, "retry_delay": spec.retry_delay, "name": spec.name}
    if spec.schedule is not None:
        _BOUND[spec.name] = huey.periodic_task(spec.schedule, **options)(spec.func)
    else:
        _BOUND[spec.name] = huey.task(**options)(spec.func)


def enqueue(job: str | Callable[..., Any], *args: Any, delay: float | None = None) -> None:
    """Put one run of ``job`` (its name or function) on the queue, after ``delay`` seconds."""
    name = job if isinstance(job, str) else _name_of(job)
    get_huey()
    try:
        wrapper = _BOUND[name]
    except KeyError:
        raise KeyError(f"no task named {name!r}; is its tasks.py imported?") from None
    if delay:
        wrapper.schedule(args=args, delay=delay)
    else:
        wrapper(*args)


def _name_of(func: Callable[..., Any]) -> str:
    for spec in _SPECS.values():
        if spec.func is func:
            return spec.name
    raise KeyError(f"{func!r} is not a declared task")


def run_worker(
    modules: Iterable[str],
    *,
    workers: int = 2,
    worker_type: str = "thread",
    periodic: bool = True,
) -> None:
    """Import the ``tasks`` modules named, then run the consumer in this process until stopped."""
    for module in modules:
        importlib.import_module(module)
    huey = get_huey()
    consumer = huey.create_consumer(
        workers=workers,
        worker_type=worker_type,
        periodic=periodic,
        initial_delay=0.05,
        max_delay=1.0,
        check_worker_health=True,
    )
    consumer.run()
