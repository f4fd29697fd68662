from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def events(request):
    # Placeholder until the alerts app lands.
    return HttpResponse("alerts")


@login_required
def settings_view(request):
    return HttpResponse("alert settings")
