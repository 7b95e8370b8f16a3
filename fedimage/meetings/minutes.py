"""The minutes of a meeting, for Matrix, for Discourse and as Fedora-style plain text.

Minutes are posted in public rooms, so they are built as an anonymous visitor sees the
meeting: private (embargoed) blockers never appear in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from fedimage.core.text import visible
from fedimage.meetings import selectors
from fedimage.meetings.agenda import agenda_for
from fedimage.meetings.models import Meeting

FORMATS = {
    "matrix": ("Markdown for Matrix", "md"),
    "discourse": ("Markdown for Discourse", "md"),
    "text": ("Plain text (Fedora meeting minutes)", "txt"),
}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
# Matrix clients notify everyone in the room for "@room" anywhere in a message body.
_ROOM_PING = re.compile(r"@(room)", re.IGNORECASE)


def one_line(text: str) -> str:
    """Fold runs of whitespace, line breaks included, into single spaces."""
    return " ".join(text.split())


def defuse_room_ping(text: str) -> str:
    """Keep "@room" readable but stop it from notifying a whole Matrix room."""
    return _ROOM_PING.sub("@\u2060\\1", text)


def md(text: str) -> str:
    """Escape text for Markdown on one line: no markup, link, heading, list or room ping, and
    bidi or control characters shown as markers (⟨U+202E⟩), as the pages show them."""
    return defuse_room_ping(_MD_SPECIAL.sub(r"\\\1", one_line(visible(text))))


@dataclass
class Line:
    text: str
    url: str = ""


@dataclass
class Topic:
    title: str
    lines: list[Line] = field(default_factory=list)
    agreed: list[str] = field(default_factory=list)


@dataclass
class Action:
    owner: str
    text: str
    due: str
    status: str
    carried: bool


@dataclass
class Minutes:
    title: str
    starts: str
    ends: str
    chair: str
    present: list[str]
    topics: list[Topic]
    actions: list[Action]
    notes: str
    url: str


def build_minutes(meeting: Meeting, *, base_url: str = "") -> Minutes:
    viewer = AnonymousUser()
    agenda = agenda_for(meeting, user=viewer)
    topics = [Topic("Roll call", [Line(", ".join(_present(meeting)) or "nobody recorded")])]
    since = Topic(f"Since the last meeting ({agenda.since:%Y-%m-%d} to {agenda.until:%Y-%m-%d})")
    for key, heading, items in agenda.sections():
        for item in items:
            url = item.url if item.url.startswith("http") else base_url + item.url
            said = item.back_words if key == "changed-back" else item.words
            words = f" ({said})" if said else ""
            since.lines.append(Line(f"{heading}: {item.label}{words}", url))
    if not since.lines:
        since.lines.append(Line("Nothing changed."))
    topics.append(since)

    decisions = selectors.decisions_of(meeting=meeting, user=viewer)
    review = Topic("Blocker review")
    for tally in selectors.reviews_for_meeting(meeting=meeting, user=viewer):
        voters = ", ".join(f"{v.voter.get_username()} {v.get_value_display()}" for v in tally.votes)
        review.lines.append(
            Line(
                f"#{tally.blocker.pk} {tally.blocker.title}: {tally.state_label}"
                f" (+1: {tally.plus}, 0: {tally.zero}, -1: {tally.minus}"
                + (f"; {voters}" if voters else "")
                + ")",
                base_url + tally.blocker.get_absolute_url(),
            )
        )
    review.agreed = [d.text for d in decisions if d.blocker_id]
    if review.lines or review.agreed:
        topics.append(review)
    other = [d.text for d in decisions if not d.blocker_id]
    if other:
        topics.append(Topic("Other business", agreed=other))

    items = selectors.action_items_for(meeting=meeting, since=agenda.since)
    actions = [
        Action(
            owner=i.owner.get_username(),
            text=i.text,
            due=f"{i.due_date:%Y-%m-%d}" if i.due_date else "",
            status=i.get_status_display().lower(),
            carried=i.carried,
        )
        for i in items
    ]
    return Minutes(
        title=meeting.title,
        starts=f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC",
        ends=f"{meeting.ends_at:%H:%M} UTC",
        chair=meeting.chair.get_username() if meeting.chair else "",
        present=_present(meeting),
        topics=topics,
        actions=actions,
        notes=meeting.notes.strip(),
        url=base_url + meeting.get_absolute_url(),
    )


def _present(meeting: Meeting) -> list[str]:
    return sorted(u.get_username() for u in meeting.attendees.all())


def _action_words(a: Action) -> str:
    text = f"{a.owner} to {a.text}"
    if a.due:
        text += f" (due {a.due})"
    return text


def render_matrix(m: Minutes) -> str:
    """Compact Markdown that Matrix clients render: bold headings, lists, links."""
    out = [f"**{md(m.title)}: minutes, {m.starts}**", ""]
    people = f"Chair: {md(m.chair) or 'none'} · Present: {md(', '.join(m.present)) or 'none'}"
    out += [people, ""]
    for topic in m.topics[1:]:
        out.append(f"**{md(topic.title)}**")
        for line in topic.lines:
            out.append(f"- [{md(line.text)}]({line.url})" if line.url else f"- {md(line.text)}")
        out += [f"- AGREED: {md(text)}" for text in topic.agreed]
        out.append("")
    new = [a for a in m.actions if not a.carried]
    carried = [a for a in m.actions if a.carried]
    if new or carried:
        out.append("**Action items**")
        out += [f"- ACTION: {md(_action_words(a))}" for a in new]
        out += [f"- (carried, {a.status}) {md(_action_words(a))}" for a in carried]
        out.append("")
    if m.notes:
        out += ["**Notes**", defuse_room_ping(m.notes), ""]
    out.append(f"Full minutes: {m.url}")
    return "\n".join(out) + "\n"


def render_discourse(m: Minutes) -> str:
    """Markdown for the Fedora discussion forum: headings, a vote table, task lists."""
    out = [f"# {md(m.title)}: {m.starts}", ""]
    out += [
        f"**Chair:** {md(m.chair) or 'none'}  ",
        f"**Present:** {md(', '.join(m.present)) or 'none'}",
        "",
    ]
    for topic in m.topics[1:]:
        out += [f"## {md(topic.title)}", ""]
        for line in topic.lines:
            out.append(f"- [{md(line.text)}]({line.url})" if line.url else f"- {md(line.text)}")
        if topic.agreed:
            if topic.lines:
                out.append("")
            out += [f"- **AGREED:** {md(text)}" for text in topic.agreed]
        out.append("")
    if m.actions:
        out += ["## Action items", ""]
        for a in m.actions:
            box = " " if a.status == "open" else "x"
            extra = " *(carried over)*" if a.carried else ""
            out.append(
                f"- [{box}] @{md(a.owner)} {md(a.text)}{extra}"
                + (f" (due {a.due})" if a.due else "")
            )
        out.append("")
    if m.notes:
        out += ["## Notes", "", m.notes, ""]
    out.append(f"<small>Generated by fedimage from {m.url}</small>")
    return "\n".join(out) + "\n"


def render_text(m: Minutes) -> str:
    """Plain text in the shape of Fedora's meetbot minutes: summary, agreed, action items."""

    def heading(text: str, char: str = "-") -> list[str]:
        return [text, char * len(text)]

    # Every entry stays on its line: typed text never starts a heading or an item of its own.
    title = one_line(m.title)
    rule = "=" * max(len(title), 40)
    out = [
        rule,
        title,
        rule,
        "",
        f"Meeting started by {one_line(m.chair) or 'the chair'} at {m.starts}.",
        "",
    ]
    out += heading("Meeting summary")
    for topic in m.topics:
        out.append(f"* {one_line(topic.title)}")
        for line in topic.lines:
            out.append(f"  * {one_line(line.text)}" + (f" <{line.url}>" if line.url else ""))
        out += [f"  * AGREED: {one_line(text)}" for text in topic.agreed]
    new = [a for a in m.actions if not a.carried]
    if new:
        out.append("* Action items")
        out += [f"  * ACTION: {one_line(_action_words(a))}" for a in new]
    out += ["", f"Meeting ended at {m.ends}.", ""]
    out += heading("Action items")
    open_items = [a for a in m.actions if a.status == "open"]
    out += [f"* {one_line(_action_words(a))}" for a in open_items] or ["* (none)"]
    out.append("")
    out += heading("Action items, by person")
    owners = sorted({a.owner for a in open_items})
    for owner in owners:
        out.append(f"* {owner}")
        out += [f"  * {one_line(_action_words(a))}" for a in open_items if a.owner == owner]
    if not owners:
        out.append("* (none)")
    out.append("")
    out += heading("People present")
    out += [f"* {name}" for name in m.present] or ["* (none recorded)"]
    if m.notes:
        out += ["", *heading("Notes"), m.notes]
    out += ["", f"Full minutes: {m.url}"]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Minutes], str]] = {
    "matrix": render_matrix,
    "discourse": render_discourse,
    "text": render_text,
}
