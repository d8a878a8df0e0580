"""Prints a greeting read from the data file installed beside this module."""
import pathlib
import sys


def main(argv):
    greeting = (pathlib.Path(__file__).parent / "greeting.txt").read_text().strip()
    name = argv[1] if len(argv) > 1 else "world"
    print(f"{greeting}, {name}!")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
