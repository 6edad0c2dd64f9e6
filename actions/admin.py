from django.contrib import admin

from .models import Action, ActionEvent, ActionPlanSettings


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "diagnostic", "system", "precondition", "status", "due_on"]
    list_filter = ["status"]
    list_select_related = ["diagnostic", "system", "precondition"]
    readonly_fields = ["public_id", "created_by", "created_at", "updated_at"]


@admin.register(ActionEvent)
class ActionEventAdmin(admin.ModelAdmin):
    """The history is read-only: it is the audit of the plan."""

    list_display = ["created_at", "diagnostic", "action", "kind", "actor"]
    list_select_related = ["diagnostic", "action", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(ActionPlanSettings)
