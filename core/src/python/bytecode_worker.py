# oxdist bytecode worker.
#
# Started by oxdist (core/src/python/bytecode.rs, which documents the protocol)
# as `python -I -S -E -B -c <this file>`, or, for CPython < 3.11, as
# `python -s -S -B -c <this file>` with PYTHONHASHSEED=0 and no other PYTHON*
# variables. It compiles Python source to marshalled code objects for as long
# as stdin stays open. Keep PROTOCOL in step with bytecode.rs.
#
# This file is run by whatever interpreter the distribution ships, so it stays
# parseable by Python 2.7 (so that old interpreters fail with our message, not
# a SyntaxError) and works on every Python 3 from 3.7 on: no f-strings,
# keyword-only arguments, walrus operators, ...
import sys

EXIT_UNSUPPORTED = 3

if sys.version_info < (3, 7):
    sys.stderr.write(
        "hash-based .pyc files (PEP 552) need Python 3.7 or newer; this is Python %s\n"
        % sys.version.split()[0]
    )
    sys.exit(EXIT_UNSUPPORTED)

# Without -I, `-c` puts the current directory first on sys.path: a stray
# importlib.py or warnings.py there must not be imported into the worker.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import gc
import os
import marshal
import warnings
import importlib.util
from types import CodeType

PROTOCOL = 2
HELLO_MAGIC = b"OXBC"
OP_COMPILE = 0x43  # "C"
STATUS_OK = 0
STATUS_SYNTAX = 1
STATUS_ERROR = 2
STATUS_RETRY = 3  # no answer: send this request to a fresh worker
STATUS_RETIRE = 0x80
# Inputs bytes(range(n)) whose importlib.util.source_hash the hello reports, so
# that oxdist can check its own implementation of the hash against ours.
HASH_VECTOR_LENGTHS = (0, 1, 7, 8, 9, 15, 16, 17, 64, 200)

# Why the worker watches its own state: marshal's output for a code object
# depends on more than the code object (see "Determinism" in bytecode.rs):
#
# - A str is written as interned or not according to the object's state, and
#   one-character latin-1 strings are process-wide singletons that CPython
#   < 3.13 interns for good the first time a module uses one as an identifier
#   (`ä = 1`); a later module's constant "ä" then marshals differently. Only
#   the singletons the compiler does not intern by itself matter (it interns
#   every constant made only of [A-Za-z0-9_]).
# - Before 3.11, FLAG_REF is set on an interned str only if something else
#   holds it. Compiling imports modules (unicodedata to normalise non-ASCII
#   identifiers, codecs for coding cookies), and their names ("normalize",
#   "decimal", "decoding_table") then stay referenced for good.
#
# Both are changes of process state caused by a request. The answer to that
# request is still what a fresh process gives (the state changed during its
# own compile), so the worker answers and then retires (STATUS_RETIRE: it
# exits, oxdist starts a fresh worker and re-sends anything in flight).
#
# - In 3.12 every interned str is immortal, so each compile leaves its names
#   interned. compile() interns the strings in frozenset constants and builds
#   a new frozenset when one of them was interned already; a frozenset shared
#   by two functions of a module (ftplib.py: `resp[:3] not in {'426', '225',
#   '226'}` twice) stays one object (FLAG_REF + TYPE_REF) the first time the
#   module is compiled in a process and becomes two copies afterwards. The
#   worker cannot tell which strings earlier requests interned, so when a
#   module has equal frozensets holding str that are distinct objects and this
#   worker has compiled something before, it answers STATUS_RETRY instead:
#   oxdist re-sends the request as the first one of a fresh worker. That is
#   rare (one module in the 3.12 standard library).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
WATCHED = tuple(chr(i) for i in range(256) if chr(i) not in _NAME_CHARS)


# From 3.11 on interned strings always get FLAG_REF, so modules that compiling
# imports no longer matter; retiring for them would only cost restarts.
WATCH_MODULES = sys.version_info < (3, 11)


def state():
    return len(sys.modules) if WATCH_MODULES else 0, marshal.dumps(WATCHED)


# Up to 3.11 interned strings die with the last code object using them, so
# earlier requests cannot have interned a module's frozenset strings. Kept for
# 3.13+ too, where we could not rule it out (astral-sh/uv#10619 reports split
# frozensets on 3.13); on 3.13 that costs a few restarts per standard library.
CHECK_FROZENSETS = sys.version_info >= (3, 12)


def split_frozensets(code):
    """True if equal frozenset constants holding str are distinct objects."""
    seen = {}
    stack = [code]
    while stack:
        obj = stack.pop()
        if isinstance(obj, tuple):
            items = obj
        else:
            items = obj.co_consts
        for const in items:
            kind = type(const)
            if kind is frozenset:
                if any(type(x) is str for x in const):
                    first = seen.setdefault(const, const)
                    if first is not const:
                        return True
            elif kind is tuple or kind is CodeType:
                stack.append(const)
    return False


def read_exact(fd, n):
    """n bytes from fd, or None at end of file.

    os.read, not sys.stdin.buffer: the worker never reads ahead of the request
    it is serving, so nothing is lost in a Python-side buffer if it exits."""
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def hello():
    v = sys.version_info
    source_hash = getattr(importlib.util, "source_hash", None)
    lines = [
        str(PROTOCOL),
        "%d.%d.%d.%s.%d" % (v[0], v[1], v[2], v[3], v[4]),
        importlib.util.MAGIC_NUMBER.hex(),
        sys.implementation.cache_tag or "",
        sys.implementation.name,
        getattr(sys, "abiflags", ""),
        # Build details (compiler, date, free-threading) for the bytecode
        # cache's notion of "the same interpreter".
        sys.version.replace("\n", " "),
    ]
    for n in HASH_VECTOR_LENGTHS:
        if source_hash is None:
            lines.append("%d:-" % n)
        else:
            lines.append("%d:%s" % (n, source_hash(bytes(range(n))).hex()))
    payload = "\n".join(lines).encode("utf-8")
    return HELLO_MAGIC + len(payload).to_bytes(4, "little") + payload


def compile_one(source, filename, optimize):
    try:
        code = compile(source, filename, "exec", 0, True, optimize)
    except SyntaxError as e:  # also IndentationError, TabError
        message = e.msg if e.msg else str(e)
        if type(e) is not SyntaxError:
            message = "%s: %s" % (type(e).__name__, message)
        lineno = e.lineno if isinstance(e.lineno, int) and e.lineno > 0 else 0
        payload = lineno.to_bytes(4, "little") + message.encode("utf-8", "backslashreplace")
        return STATUS_SYNTAX, payload, None
    except Exception as e:  # ValueError (NUL bytes before 3.12), RecursionError, MemoryError
        message = "%s: %s" % (type(e).__name__, e)
        return STATUS_ERROR, message.encode("utf-8", "backslashreplace"), None
    # marshal sets FLAG_REF on an object iff its reference count is above one
    # while it is written. For the top-level code object that count is an
    # artefact of the caller: importlib and py_compile hold it in a variable
    # and pass it on, so .pyc files in __pycache__ start with 0xe3 (code|REF);
    # `marshal.dumps(compile(...))` gives 0x63. A second strong reference makes
    # the count at least two on every interpreter, including ones that pass
    # arguments as borrowed references, so we always match importlib.
    keep = code
    data = marshal.dumps(code)
    del keep
    return STATUS_OK, data, code


# Requests between explicit garbage collections (see main()).
GC_EVERY = 500


def serve(inp, out):
    baseline = state()
    fresh = True
    served = 0
    while True:
        head = read_exact(inp, 10)
        if head is None:
            return 0
        op = head[0]
        optimize = head[1]
        name_len = int.from_bytes(head[2:6], "little")
        source_len = int.from_bytes(head[6:10], "little")
        if op != OP_COMPILE or optimize > 2:
            sys.stderr.write("oxdist bytecode worker: bad request header %r\n" % (head,))
            return 2
        name = read_exact(inp, name_len)
        source = read_exact(inp, source_len)
        if name is None or source is None:
            return 0
        status, payload, code = compile_one(source, name.decode("utf-8", "surrogateescape"), optimize)
        if code is not None and not fresh and CHECK_FROZENSETS and split_frozensets(code):
            write_all(out, bytes((STATUS_RETRY | STATUS_RETIRE,)) + (0).to_bytes(4, "little"))
            return 0
        del code
        fresh = False
        served += 1
        if served % GC_EVERY == 0:
            gc.collect()
        # Checked after failures too: the parser interns identifiers and
        # imports codecs before it finds an error.
        if state() != baseline:
            status |= STATUS_RETIRE
        write_all(out, bytes((status,)) + len(payload).to_bytes(4, "little") + payload)
        if status & STATUS_RETIRE:
            return 0


def main():
    # The generational collector costs 15-20% of compile time here (compile
    # allocates many container objects) and finds nothing: the AST lives in an
    # arena and code objects hold no cycles. serve() still collects now and
    # then, in case some exception path makes a cycle.
    gc.disable()
    # Compiler warnings (SyntaxWarning, DeprecationWarning for bad escapes) do
    # not change the bytecode; ignoring them keeps stderr for real failures.
    warnings.simplefilter("ignore")
    # Private copies of the pipes; fd 1 then points at stderr, so that nothing
    # printed by accident can corrupt the protocol stream.
    inp = os.dup(0)
    out = os.dup(1)
    os.dup2(2, 1)
    write_all(out, hello())
    return serve(inp, out)


sys.exit(main())
