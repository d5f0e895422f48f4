"""Child process for the crash test: a burst of writes, printing each id once it is committed.

    python tests/store_worker.py DB_PATH

The parent kills it with SIGKILL mid-burst; every id printed before that must survive.
"""

from __future__ import annotations

import sys

from dnws_bot.store import Store


def main(path: str) -> int:
    store = Store.open(path)
    if not store.healthy:
        return 1
    for n in range(1_000_000):  # bounded, in case the parent dies before killing us
        if not store.remember_poll(f"poll-{n}", -100123, f"q{n}", n % 4):
            return 1
        print(n, flush=True)  # only after remember_poll has committed
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
