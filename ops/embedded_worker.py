"""`python -m ops.embedded_worker`: the embedded run's Celery worker (Procfile).

The same worker as `celery -A ops.embedded_celery worker`, started without
Celery's command line, which imports click and every Celery subcommand (~13 MB
for the life of the process), and without Django's system checks (issue 20, point 23).
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.embedded_worker")
    parser.add_argument("--hostname", help="the node name (default: celery@<host>)")
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--without-heartbeat", action="store_true", help="for brokers without broadcast")
    args = parser.parse_args(argv)

    # Django's system checks, which Celery runs as the worker starts, import every URL
    # module and admin class (~20 MB it then keeps). `make run` has just run them, in
    # `migrate`; an email's first link later imports only what reverse() needs.
    os.environ.setdefault("CELERY_SKIP_CHECKS", "1")
    from celery.utils.nodenames import default_nodename, host_format

    from ops.embedded_celery import app

    worker = app.Worker(
        hostname=host_format(default_nodename(args.hostname)),  # as the command line does
        loglevel=args.loglevel,
        quiet=True,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=args.without_heartbeat,
    )
    worker.start()
    return worker.exitcode


if __name__ == "__main__":
    sys.exit(main())
