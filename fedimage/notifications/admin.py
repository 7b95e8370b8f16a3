from django.contrib import admin, messages

from fedimage.core.permissions import allowed
from fedimage.notifications import services
from fedimage.notifications.models import Event, Notification, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions to look at, and to remove through the service (the notifications page
    subscribes); the same rule as on the page decides who may remove one."""

    list_display = ["kind", "channel", "room", "user", "active", "created_at"]
    list_filter = ["channel", "kind", "active"]
    search_fields = ["room", "user__username", "user__email"]
    raw_id_fields = ["user", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        rule = "notifications.delete_subscription"
        return super().has_delete_permission(request, obj) and (
            obj is None or allowed(request.user, rule, obj)
        )

    def delete_model(self, request, obj) -> None:
        services.subscription_delete(user=request.user, subscription=obj)

    def delete_queryset(self, request, queryset) -> None:
        for subscription in queryset:
            services.subscription_delete(user=request.user, subscription=subscription)


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["subscription", "status", "attempts", "last_error", "remote_id", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "private", "created_at"]
    list_filter = ["kind"]
    search_fields = ["subject"]
    inlines = [NotificationInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "sent_at"]
    list_filter = ["status", "subscription__channel"]
    readonly_fields = [
        "event",
        "subscription",
        "status",
        "attempts",
        "lease_until",
        "last_error",
        "remote_id",
        "created_at",
        "sent_at",
    ]
    actions = ["deliver_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Deliver the failed ones again")
    def deliver_again(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        queued = services.notifications_deliver_again(notification_ids=ids)
        self.message_user(request, f"{queued} queued again.", messages.SUCCESS)
