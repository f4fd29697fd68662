"""Wait on a condition with a deadline, never on a fixed sleep."""

import time


class Timeout(AssertionError):
    pass


def wait_for(predicate, *, timeout=15.0, interval=0.05, message="condition"):
    """Return predicate()'s first truthy value, or fail once `timeout` seconds pass.

    The short pause between checks only paces the polling of the condition; the
    deadline is what bounds the wait.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Timeout(f"timed out after {timeout}s waiting for {message} (last value: {last!r})")
        time.sleep(interval)
