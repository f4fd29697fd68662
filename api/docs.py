"""The interactive API docs: Swagger UI from static/vendor/swagger-ui/, no CDN, no inline code.

ninja's own page loads Swagger UI from a CDN and configures it in an inline
script, both of which the site's CSP forbids. This page passes its settings in
data- attributes to static/js/api-docs.js instead.
"""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class VendoredSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        # The schema itself (openapi.json) is public, for client generators; the
        # page is for people who can try the calls, so it wants a sign-in.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(
            request, "api/docs.html", {"openapi_url": self.get_openapi_url(api, kwargs), "api": api}
        )
