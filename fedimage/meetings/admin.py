"""The meetings admin, read-only: meetings, reviews, votes, decisions and action items change
through the meetings services (the meeting pages and the API), which send the domain events."""

from django.contrib import admin

from fedimage.core.admin import ReadOnlyAdmin
from fedimage.meetings.models import ActionItem, BlockerReview, Decision, Meeting, Vote


class DecisionInline(ReadOnlyAdmin, admin.TabularInline):
    model = Decision
    extra = 0
    raw_id_fields = ["blocker", "recorded_by"]


class ActionItemInline(ReadOnlyAdmin, admin.TabularInline):
    model = ActionItem
    extra = 0
    raw_id_fields = ["owner"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title", "starts_at", "chair"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["attendees"]
    inlines = [DecisionInline, ActionItemInline]


class VoteInline(ReadOnlyAdmin, admin.TabularInline):
    model = Vote
    extra = 0
    raw_id_fields = ["voter"]


@admin.register(BlockerReview)
class BlockerReviewAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["blocker", "state", "decided_at_meeting", "decided_at"]
    list_filter = ["state"]
    raw_id_fields = ["blocker", "decided_at_meeting", "decided_by"]
    inlines = [VoteInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["text", "owner", "due_date", "status", "meeting"]
    list_filter = ["status"]
    raw_id_fields = ["owner", "meeting"]
