from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def watchlist(request):
    # Placeholder until the dashboard lands.
    return HttpResponse("watchlist")
