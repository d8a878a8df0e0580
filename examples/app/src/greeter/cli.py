"""Greets whoever is named on the command line.

Shows what an embedded application relies on: package data read through
importlib.resources, its own version from importlib.metadata, and the exit
code reaching the shell.
"""

import sys
from importlib import metadata, resources


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--fail":
        raise RuntimeError("asked to fail")
    greeting = resources.files("greeter").joinpath("data/greeting.txt").read_text().strip()
    name = args[0] if args else "world"
    version = metadata.version("greeter")
    print(f"{greeting}, {name}! (greeter {version}, frozen={getattr(sys, 'frozen', False)})")
    return 0 if name != "nobody" else 3
