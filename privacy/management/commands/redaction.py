"""`python manage.py redaction add --name TEXT --pattern REGEX [--action mask|remove|hash]`, and list / remove."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from privacy.models import Action, RedactionRule


class Command(BaseCommand):
    help = "Custom redaction rules: add, list or remove them (built-in detectors need no rule)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="Add a rule.")
        add.add_argument("--name", required=True, help="The rule's name; masks read [name].")
        add.add_argument("--pattern", required=True, help="A Python regular expression.")
        add.add_argument("--action", choices=Action.values, default=Action.MASK, help="mask (default), remove or hash.")
        sub.add_parser("list", help="List the rules.")
        remove = sub.add_parser("remove", help="Remove a rule.")
        remove.add_argument("--name", required=True)

    def handle(self, *args, verb, **options):
        if verb == "add":
            return self.add(options["name"], options["pattern"], options["action"])
        if verb == "remove":
            deleted, _ = RedactionRule.objects.filter(name=options["name"]).delete()
            if not deleted:
                raise CommandError(f"No rule named {options['name']!r}.")
            self.stdout.write(f"Removed rule {options['name']!r}.")
            return None
        for rule in RedactionRule.objects.all():
            self.stdout.write(f"{rule.name}\t{rule.action}\t{'on' if rule.enabled else 'off'}\t{rule.pattern}")
        return None

    def add(self, name, pattern, action):
        rule = RedactionRule(name=name.strip(), pattern=pattern, action=action)
        try:
            rule.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"--{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(problems) from None
        rule.save()
        self.stdout.write(f"Added rule {rule.name!r} ({rule.action}): {rule.pattern}")
