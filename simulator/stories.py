"""What the simulated firm's automations look like: blueprints, clients, step results.

Everything here is plain data plus small builders that draw from a seeded
`random.Random`, so the same seed always tells the same stories.
"""

import json
import re
import uuid as uuid_lib
from dataclasses import dataclass

# Blueprint and blueprint-step UUIDs do not depend on the seed: a blueprint is
# configuration, the same in every simulated world.
_NAMESPACE = uuid_lib.UUID("6f1c2a7e-3b8d-4e59-9a41-2c7d0e5b8f13")

# The docs' own example error, byte for byte: a JSON string holding a quoted, half-JSON text.
DOCS_INFO_ERROR = '"[{errors : "the account_uuid field is required" }]"'


@dataclass(frozen=True)
class BlueprintStep:
    uuid: str
    name: str
    type: str


@dataclass(frozen=True)
class Blueprint:
    uuid: str
    name: str
    trigger: str
    steps: tuple  # of BlueprintStep

    def payload(self):
        steps = []
        parent = None
        for step in self.steps:
            steps.append(
                {
                    "uuid": step.uuid,
                    "name": step.name,
                    "type": step.type,
                    "configuration": _STEP_CONFIGURATION.get(step.type, {}),
                    "parent_step_uuid": parent,
                    "condition_state": None,
                }
            )
            parent = step.uuid
        return {
            "uuid": self.uuid,
            "name": self.name,
            "trigger": self.trigger,
            "is_active": True,
            "conditions": [],
            "configuration": {"run_once_per_account": self.trigger != "review.due"},
            "steps": steps,
            "steps_count": len(steps),
            "webhook_targets": [],
        }


_STEP_CONFIGURATION = {
    "send_sms": {"template": "default_sms", "to": "primary_phone_number"},
    "send_email": {"template": "default_email", "to": "primary_email"},
    "generate_document": {"template": "welcome_pack_v3", "format": "pdf"},
    "create_task": {"assign_to": "assigned_administrator", "due_in_days": 5},
    "wait": {"duration": 2, "unit": "days"},
    "update_account": {"field": "next_review_date"},
    "notify_user": {"notify": "assigned_adviser", "channel": "email"},
}

_BLUEPRINT_SPECS = [
    (
        "Send client welcome pack to newly created client",
        "client.created",
        [
            ("Send SMS", "send_sms"),
            ("Send welcome email", "send_email"),
            ("Generate welcome pack", "generate_document"),
            ("Create task: post welcome pack", "create_task"),
            ("Notify adviser", "notify_user"),
        ],
    ),
    (
        "Annual review reminder",
        "review.due",
        [
            ("Send email", "send_email"),
            ("Wait 2 days", "wait"),
            ("Send SMS", "send_sms"),
            ("Create task: book review meeting", "create_task"),
            ("Update client record", "update_account"),
        ],
    ),
    (
        "Onboarding: request ID documents",
        "client.created",
        [
            ("Send email", "send_email"),
            ("Create task: check ID documents", "create_task"),
            ("Wait 2 days", "wait"),
            ("Send SMS", "send_sms"),
        ],
    ),
    (
        "Chase missing KYC documents",
        "kyc.documents_missing",
        [
            ("Send email", "send_email"),
            ("Wait 2 days", "wait"),
            ("Send SMS", "send_sms"),
            ("Wait 2 days", "wait"),
            ("Create task: call client", "create_task"),
            ("Notify adviser", "notify_user"),
            ("Update client record", "update_account"),
        ],
    ),
    (
        "New case: notify adviser",
        "case.created",
        [
            ("Notify adviser", "notify_user"),
            ("Create task", "create_task"),
            ("Send email", "send_email"),
        ],
    ),
    (
        "Plan anniversary: send valuation",
        "plan.anniversary",
        [
            ("Generate document", "generate_document"),
            ("Send email", "send_email"),
            ("Update client record", "update_account"),
        ],
    ),
    (
        "Fact find completed: prepare suitability report",
        "fact_find.completed",
        [
            ("Create task: draft suitability report", "create_task"),
            ("Generate document", "generate_document"),
            ("Notify adviser", "notify_user"),
            ("Send email", "send_email"),
        ],
    ),
]


def _build_blueprints():
    blueprints = []
    for name, trigger, steps in _BLUEPRINT_SPECS:
        bp_uuid = str(uuid_lib.uuid5(_NAMESPACE, name))
        bp_steps = tuple(
            BlueprintStep(str(uuid_lib.uuid5(_NAMESPACE, f"{name}/{i}/{step}")), step, kind)
            for i, (step, kind) in enumerate(steps)
        )
        blueprints.append(Blueprint(bp_uuid, name, trigger, bp_steps))
    return tuple(blueprints)


BLUEPRINTS = _build_blueprints()
BLUEPRINTS_BY_UUID = {bp.uuid: bp for bp in BLUEPRINTS}
BLUEPRINTS_BY_NAME = {bp.name: bp for bp in BLUEPRINTS}
DEFAULT_BLUEPRINT = BLUEPRINTS[0]

# --- Step results ---------------------------------------------------------------------


def _laravel(message, field, *problems):
    return json.dumps({"message": message, "errors": {field: list(problems)}})


_ERRORS = {
    "send_sms": [
        DOCS_INFO_ERROR,
        json.dumps([{"errors": "SMS provider rejected the number +44 7700 900123"}]),
        '"[{errors : "the mobile_number field is required" }]"',
        "Twilio error 21610: Attempt to send to unsubscribed recipient",
    ],
    "send_email": [
        "Mailbox unavailable: 550 5.1.1 user unknown",
        _laravel(
            "The email field must be a valid email address.",
            "email",
            "The email field must be a valid email address.",
        ),
        '"[{errors : "the email field is required" }]"',
        'Connection could not be established with host "smtp.postmarkapp.com": '
        "stream_socket_client(): unable to connect to smtp.postmarkapp.com:587 (Connection timed out)",
    ],
    "generate_document": [
        _laravel(
            "The selected template uuid is invalid.",
            "template_uuid",
            "The selected template uuid is invalid.",
        ),
        "Upstream returned <html><body><h1>502 Bad Gateway</h1></body></html>",
        "PDF render timed out after 60 seconds",
    ],
    "create_task": [
        _laravel(
            "The assignee uuid field is required. (and 1 more error)",
            "assignee_uuid",
            "The assignee uuid field is required.",
            "The assignee uuid must be a valid UUID.",
        ),
        '"[{errors : "the due_at field must be a date after today" }]"',
    ],
    "wait": [
        "Failed to resume after wait: client account is inactive",
    ],
    "update_account": [
        _laravel(
            "The next review date field must be a valid date.",
            "next_review_date",
            "The next review date field must be a valid date.",
        ),
        "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when trying to get lock; "
        "try restarting transaction",
    ],
    "notify_user": [
        "No adviser assigned to client",
        json.dumps([{"errors": 'Adviser notification channel "teams" is not configured'}]),
    ],
}
_GENERIC_ERRORS = [
    DOCS_INFO_ERROR,
    "cURL error 28: Operation timed out after 30001 milliseconds with 0 bytes received",
]

_BENIGN = {
    "send_sms": [None, "", "SMS queued"],
    "send_email": [None, "", "Email queued for delivery"],
    "generate_document": [None, "Document generated: welcome-pack.pdf"],
    "create_task": [None, "", "Task created"],
    "wait": [None, ""],
    "update_account": [None, "Client record updated"],
    "notify_user": [None, "Adviser notified"],
}


def error_info(rng, step_type):
    """A realistic error report for a step of this type (varied shapes, as Plannr sends them)."""
    choices = _ERRORS.get(step_type, []) + _GENERIC_ERRORS
    return rng.choice(choices)


def benign_info(rng, step_type):
    return rng.choice(_BENIGN.get(step_type, [None, ""]))


# --- Clients ----------------------------------------------------------------------------

FIRST_NAMES = [
    "Gareth", "Amelia", "Oliver", "Priya", "Hamish", "Chloe", "Tomasz", "Aisha", "Rhys", "Eleanor",
    "Kwame", "Sophie", "Callum", "Fatima", "Declan", "Harriet", "Mohammed", "Isla", "Jack", "Zofia",
    "Niamh", "Arjun", "Bethan", "Lewis",
]
LAST_NAMES = [
    "Thompson", "Patel", "Williams", "MacLeod", "Nowak", "Okafor", "Hughes", "Begum", "Jones",
    "Fitzgerald", "Campbell", "Khan", "Davies", "Murphy", "Evans", "Mensah", "Robertson", "Clarke",
    "Wright", "Singh",
]
# One client whose name needs HTML escaping, so every page that shows it gets exercised.
TRICKY_CLIENT = ("Siobhán", "O'Brien & <Sons>")

_RESOURCE = "App\\Http\\Resources\\"


def make_account(rng, created_ts, iso, *, first_name=None, last_name=None, account_uuid=None):
    """An account payload with the fields (and field order) of the documented example."""
    first = first_name or rng.choice(FIRST_NAMES)
    last = last_name or rng.choice(LAST_NAMES)
    if account_uuid is None:
        account_uuid = str(uuid_lib.UUID(int=rng.getrandbits(128), version=4))
    stamp = iso(created_ts)
    local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower().encode("ascii", "ignore").decode())
    return {
        "uuid": account_uuid,
        "created_at": stamp,
        "updated_at": stamp,
        "type": "client",
        "role": "client",
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "email": f"{local}@example.com",
        "photo_url": "https://eu.ui-avatars.com/api/?name="
        + "+".join(part.lower() for part in f"{local}".split(".") if part),
        "firm": _RESOURCE + "FirmResource",
        "primary_phone_number": _RESOURCE + "ContactDetailResource",
        "primary_email": _RESOURCE + "ContactDetailResource",
        "current_time_entry": _RESOURCE + "TimeEntryResource",
        "assigned_adviser": _RESOURCE + "AccountResource",
        "assigned_administrator": _RESOURCE + "AccountResource",
        "assigned_paraplanner": _RESOURCE + "AccountResource",
        "introduced_by": _RESOURCE + "AccountResource",
        "business_unit": _RESOURCE + "BusinessUnitResource",
        "groups": _RESOURCE + "GroupResource",
        "tags": _RESOURCE + "TagResource",
        "owners": _RESOURCE + "AccountResource",
        "first_contact_date": stamp,
        "next_review_date": iso(created_ts + 365 * 86400),
        "previous_review_date": None,
        "anniversary_review_date": iso(created_ts + 365 * 86400),
        "terms_of_business_at": stamp,
        "client_agreement_at": stamp,
        "with_login": rng.random() < 0.6,
        "has_joint_account": rng.random() < 0.3,
        "can_be_deleted": "false",
        "joint_account_circle": _RESOURCE + "CircleResource",
        "circles": _RESOURCE + "CircleResource",
        "ownership_percentage": 100,
        "inactive_at": None,
        "last_interaction_at": stamp[:10] + " " + stamp[11:19],
        "referral_code": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
        + str(rng.randrange(10000, 100000)),
        "permissions": {"firm:read": ["firm"], "network:read": ["network:uuid"]},
        "custom_fields": _RESOURCE + "CustomFieldValueResource",
        "external_references": _RESOURCE + "ExternalReferenceResource",
    }
