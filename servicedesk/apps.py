"""Start-up work of the project itself: the folders the embedded run writes to.

Settings only describe where things go; importing them must not touch the disk
(a tool, a test or ``check`` reading them should not create ``var/``). The
folders are made here, once the apps are loaded and before any command, worker
or request uses them, and only those the configuration actually needs.
"""

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def runtime_directories() -> list[Path]:
    folders = []
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and \
            str(database["NAME"]) not in ("", ":memory:"):
        # SQLite creates the file but not the folder it lives in.
        folders.append(Path(database["NAME"]).parent)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # kombu's filesystem transport does not create its folders.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [Path(options[key]) for key in
                    ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")]
    # whitenoise warns at start-up when STATIC_ROOT does not exist.
    folders.append(Path(settings.STATIC_ROOT))
    return folders


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = "Service desk"

    def ready(self):
        for folder in runtime_directories():
            folder.mkdir(parents=True, exist_ok=True)
