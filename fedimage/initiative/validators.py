"""Validators for text that people type and other systems (feeds, XML, Matrix) carry on."""

import re

from django.core.exceptions import ValidationError

# C0 control characters other than tab, line feed and carriage return: XML 1.0 (Atom) and
# iCalendar cannot carry them, and they are never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")


def no_control_characters(value: str) -> None:
    if _CONTROL.search(value or ""):
        raise ValidationError("Remove the control characters from this text.", code="control")


def single_line(value: str) -> None:
    no_control_characters(value)
    if _LINE_BREAK.search(value or ""):
        raise ValidationError("Keep this on one line.", code="line_break")
