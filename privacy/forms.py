from django import forms

from .models import RedactionRule


class RuleForm(forms.ModelForm):
    class Meta:
        model = RedactionRule
        fields = ["name", "pattern", "action"]
