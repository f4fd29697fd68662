"""Channel owners are Operators: managing one's own channels is that role's (Viewers get a 403).

`owner` and `other_user` are promoted here, so every channel test's people may use the
channel pages; `outsider` stays a Viewer, and `admin` manages organisation channels.
"""

import pytest

from accounts import roles


@pytest.fixture
def owner(owner):
    roles.assign_role(owner, roles.OPERATOR)
    return owner


@pytest.fixture
def other_user(other_user):
    roles.assign_role(other_user, roles.OPERATOR)
    return other_user
