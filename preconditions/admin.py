from django.contrib import admin

from .models import Framework, Precondition, PreconditionGroup, PreconditionRelation


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "slug"]


@admin.register(PreconditionGroup)
class PreconditionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "framework", "order"]


@admin.register(Precondition)
class PreconditionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "group", "framework"]
    list_filter = ["framework", "group"]


@admin.register(PreconditionRelation)
class PreconditionRelationAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "kind"]
