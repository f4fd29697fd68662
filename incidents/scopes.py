"""What the incident list can be narrowed to, named by the apps above incidents.

The list filters by monitor, but monitors sit above incidents (they show their
incidents), so incidents may not import them: monitors registers its choices here
in its AppConfig.ready().
"""

_monitors = None


def register_monitors(choices):
    """`choices()` returns (id, name) pairs, in the order the filter lists them."""
    global _monitors
    _monitors = choices


def monitors():
    return _monitors() if _monitors else []
