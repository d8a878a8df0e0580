"""The `hello` console script."""

import sys
from importlib.metadata import version

import six


def run():
    names = " ".join(sys.argv[1:]) or "world"
    print(f"hello {names} from hello_cli {version('hello_cli')} with six {six.__version__}")
    return 3 if names == "fail" else 0
