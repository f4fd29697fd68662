"""The image's entrypoint: refuse to start without DATABASE_URL, then run the command.

Without DATABASE_URL the settings fall back to SQLite under VAR_DIR, which in a
container is /app/var: inside the container, on no volume, so the data is lost when
the container is replaced, and web, worker and beat would each write a database of
their own. That is a fine way to try the image and a silent way to lose a deployment,
so the image asks for it by name: ALLOW_SQLITE=true.

Run as a file (`python /app/ops/entrypoint.py CMD...`), not as a module: it
must not import the dashboard package (Celery) just to decide whether to exec.
"""

import os
import sys

REFUSED_EXIT_CODE = 78  # EX_CONFIG


def refusal(environ):
    """Why the image must not start with this environment, or None when it may."""
    allow = environ.get("ALLOW_SQLITE", "").strip().lower()
    if allow not in ("", "true", "false"):
        return f"ALLOW_SQLITE must be true or false, got {environ['ALLOW_SQLITE']!r}."
    if environ.get("DATABASE_URL", "").strip() or allow == "true":
        return None
    var_dir = environ.get("VAR_DIR") or "/app/var"
    return (
        "DATABASE_URL is not set, so this container would keep its data in SQLite under "
        f"{var_dir}: inside the container, lost when it is replaced, and not shared between "
        "web, worker and beat. Set DATABASE_URL to your PostgreSQL "
        "(postgres://USER:PASSWORD@HOST:5432/NAME), or set ALLOW_SQLITE=true to try the image "
        "on SQLite anyway."
    )


def main(argv):
    if not argv:
        print("entrypoint: no command given", file=sys.stderr)
        return 64  # EX_USAGE
    reason = refusal(os.environ)
    if reason:
        print(f"Refusing to start {argv[0]}: {reason}", file=sys.stderr)
        return REFUSED_EXIT_CODE
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
