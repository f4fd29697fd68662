import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

# Load every URL module (the API's among them) while the worker boots, before it
# accepts connections: otherwise the first request to each worker pays for it.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns
