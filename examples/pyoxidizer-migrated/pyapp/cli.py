"""Prints the message of the day shipped as package data, then greets.

What a PyOxidizer-built application typically relies on: package data read
through importlib.resources (no __file__ in memory), and sys.frozen.
"""

import sys
from importlib import resources

from pyapp import __version__


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    motd = resources.files("pyapp").joinpath("data/motd.txt").read_text(encoding="utf-8").strip()
    name = args[0] if args else "world"
    print(motd)
    print(f"Hello, {name}! (pyapp {__version__}, frozen={getattr(sys, 'frozen', False)})")
    return 0
