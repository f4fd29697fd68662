"""Choosing the account a connection acts for, from `GET /api/v1/logins` (issue 19's rules).

1. The person's explicit choice, when it is one of the token's accounts.
2. `preferred_account_uuid`, at the top level or on a login.
3. The one login whose account is not a client account.
4. Otherwise: refuse, listing the accounts to choose from.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    uuid: str
    name: str
    type: str
    firm: str

    def __str__(self):
        return f"{self.uuid} ({self.name}, {self.firm}; {self.type or 'unknown type'})"


class AccountChoiceError(Exception):
    """No single account can be chosen: `accounts` lists those to choose from."""

    def __init__(self, message, accounts):
        super().__init__(message)
        self.accounts = accounts

    def __str__(self):
        listed = "; ".join(str(a) for a in self.accounts) or "none"
        return f"{self.args[0]} Accounts: {listed}"


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def accounts_of(body):
    """Every login's account, once each, in Plannr's order."""
    found = {}
    for login in body.get("data") or []:
        if not isinstance(login, dict) or not isinstance(login.get("account"), dict):
            continue
        account, firm = login["account"], login.get("firm") if isinstance(login.get("firm"), dict) else {}
        uuid = _text(account.get("uuid")).lower()
        if uuid and uuid not in found:
            found[uuid] = Account(uuid, _text(account.get("name")), _text(account.get("type")).lower(),
                                  _text(firm.get("name")))
    return list(found.values())


def _preferred(body):
    top = _text(body.get("preferred_account_uuid")).lower()
    if top:
        return top
    for login in body.get("data") or []:
        if isinstance(login, dict) and _text(login.get("preferred_account_uuid")):
            return _text(login["preferred_account_uuid"]).lower()
    return ""


def choose_account(body, explicit=None):
    """The Account to use; AccountChoiceError when the rules do not name exactly one."""
    accounts = accounts_of(body)
    by_uuid = {a.uuid: a for a in accounts}
    if explicit:
        chosen = by_uuid.get(str(explicit).strip().lower())
        if chosen is None:
            raise AccountChoiceError(f"Account {explicit} is not one of this token's accounts.", accounts)
        return chosen
    preferred = by_uuid.get(_preferred(body))
    if preferred is not None:
        return preferred
    firms = [a for a in accounts if a.type != "client"]
    if len(firms) == 1:
        return firms[0]
    if not accounts:
        raise AccountChoiceError("Plannr lists no logins for this token.", accounts)
    raise AccountChoiceError("This token has several accounts: choose one.", accounts)
