from .models import Profile


def profile_for(user):
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def time_zone_of(user):
    """The user's zone (for emails, rendered outside any request)."""
    return profile_for(user).zone
