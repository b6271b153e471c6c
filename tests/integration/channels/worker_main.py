"""A worker process for the kill tests: ``python -m tests.integration.channels.worker_main``.

Runs the Huey consumer over ``KIZUNA_QUEUE_URL`` (queue name ``KIZUNA_TEST_QUEUE``) with the
channel tasks, as ``kizuna worker`` will; the record is ``KIZUNA_DATABASE_URL``.
"""

from __future__ import annotations

import os

from kizuna.kit import queue

if __name__ == "__main__":
    queue.configure(os.environ["KIZUNA_QUEUE_URL"], name=os.environ["KIZUNA_TEST_QUEUE"])
    queue.run_worker(
        ["kizuna.channels.tasks", "kizuna.automation.tasks"],
        workers=int(os.environ.get("KIZUNA_TEST_WORKERS", "1")),
    )
