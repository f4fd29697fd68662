"""Settings for the Plannr execution monitor (DJANGO_SETTINGS_MODULE=dashboard.settings).

Every value comes from an environment variable, parsed strictly (dashboard/env.py): a
value that cannot be parsed stops start-up with a message that names the variable,
rather than being silently replaced by a default. `.env.example` lists them all.

One section per subject, each setting defined once, in three parts read in this order:
web.py (core, apps, middleware, database, static files, security, logging), accounts.py
(sign-in, 2FA, SSO, sessions) and work.py (Redis, Celery, caches, Plannr, polling,
discovery, alerts, incidents, channels, API and metrics, beat).
"""

from .web import *  # noqa: F403
from .accounts import *  # noqa: F403
from .work import *  # noqa: F403
