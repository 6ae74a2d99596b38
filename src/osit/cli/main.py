import os
import sys


def main(argv=None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osit.settings")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["osit manage", *argv[1:]])
        return 0
    return 0
