"""oxdist's deep-freeze generator: code objects as static C data.

Run by the distribution's own interpreter when a launcher with a frozen
standard library is built (``PythonExecutable.freeze_stdlib``):

    python -I -S deepfreeze.py INPUT OUTPUT.c

INPUT holds the modules to freeze, as oxdist compiled them for the packed
resources: ``b"OXDFRZ1\\n"``, then per module a u32 name length, the UTF-8
name, the 32-byte SHA-256 of the marshal data, a u64 data length and the
marshal data (integers little-endian). OUTPUT.c defines every code object,
and every constant it holds, as an initialised static object laid out by
CPython's own headers (compiled with ``Py_BUILD_CORE``), plus
``oxdist_frozen_code(name, digest)``, which the runtime's
``_oxdist.frozen()`` calls. Skipping ``marshal.loads`` is the point: the
launcher maps these objects from the executable file instead of building
them on every start.

What CPython would do while unmarshalling and this generator does ahead of
time or leaves to run time:

- interning identifiers: at run time, once per module, with
  ``_PyStaticCode_InternStrings`` (hashes are per-process, so they cannot be
  precomputed);
- frozenset constants: written as tuples and turned into real frozensets on
  the module's first load (a static set would need CPython's private hash
  table layout);
- small ints, 1-character strings and bytes, ``""``, ``b""`` and ``()``:
  CPython's own singletons, as ``marshal`` returns them.

Objects get a reference count no program reaches (999999999, as CPython's
own deep-frozen modules in 3.11) and zeroed GC links (untracked), so they
are never deallocated. Only CPython 3.11's layout is written (3.12 changed
code objects, strings and reference counts); the caller checks the version
before building, and this script checks it again. On stdout it prints the
directory of the headers to compile with.

The output depends only on the input: same modules, same C.
"""

import os
import struct
import sys
import sysconfig

MAGIC = b"OXDFRZ1\n"
REFCNT = 999999999
CO_FAST_LOCAL = 0x20
CO_FAST_CELL = 0x40
CO_FAST_FREE = 0x80
CODE_TYPE = type((lambda: 0).__code__)
# Written first: what every start imports (after CPython's own frozen
# modules), so that the objects their start-up touches share pages instead of
# being spread over the whole image (each page written to is copied).
STARTUP_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1", "encodings.ascii")


def fail(message):
    sys.stderr.write("deepfreeze: %s\n" % message)
    sys.exit(2)


def c_bytes(data):
    """A C string literal of `data`: printable ASCII as is, the rest octal (never `?`: no trigraphs)."""
    out = []
    for b in data:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F and b != 0x3F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def c_double(x):
    if x != x:
        return "-Py_NAN" if struct.pack("<d", x)[7] & 0x80 else "Py_NAN"
    if x == float("inf"):
        return "Py_HUGE_VAL"
    if x == float("-inf"):
        return "-Py_HUGE_VAL"
    return x.hex()


def head(type_name):
    return ".ob_refcnt = %d, .ob_type = &%s" % (REFCNT, type_name)


def var_head(type_name, size):
    return ".ob_base = { .ob_base = { %s }, .ob_size = %d }" % (head(type_name), size)


class Freezer:
    """Writes C definitions for objects, each once (constants are shared by value)."""

    def __init__(self, out, resume_opcode, digit_bits):
        self.out = out
        self.resume = resume_opcode
        self.digit_bits = digit_bits
        self.by_value = {}
        self.count = 0
        # Strings (by C expression): their index in oxdist_strings, and
        # whether CPython would intern them as constants (name characters).
        self.string_index = {}
        self.name_like = {}
        # Tuples (and frozenset stand-ins) by C expression: their items, and
        # those used as co_names/co_localsplusnames (every item interned).
        self.tuple_items = {}
        self.names_tuples = set()
        # Per module being written: its code objects, frozenset stand-ins
        # and the tuples whose strings it interns, in first-use order.
        self.codes = []
        self.sets = []
        self.tuples = {}
        self.code_refs = {}

    def new_name(self):
        self.count += 1
        return "o%d" % self.count

    def ref(self, value):
        """A C expression of type PyObject * for `value`."""
        t = type(value)
        if value is None:
            return "Py_None"
        if value is Ellipsis:
            return "Py_Ellipsis"
        if t is bool:
            return "Py_True" if value else "Py_False"
        if t is int and -5 <= value < 257:
            return "(PyObject *)&_Py_SINGLETON(small_ints)[_PY_NSMALLNEGINTS + %d]" % value
        if t is str:
            found = self.string(value)
            if found not in self.string_index:
                self.string_index[found] = len(self.string_index)
                self.name_like[found] = value.isascii() and all(c.isalnum() or c == "_" for c in value)
            return found
        if t is bytes and len(value) <= 1:
            if not value:
                return "(PyObject *)&_Py_SINGLETON(bytes_empty)"
            return "(PyObject *)&_Py_SINGLETON(bytes_characters)[%d]" % value[0]
        if t is tuple and not value:
            return "(PyObject *)&_Py_SINGLETON(tuple_empty)"
        if t is CODE_TYPE:
            # By identity, never shared between modules: the module's code
            # objects stay alive while it is written, so ids are not reused.
            found = self.code_refs.get(id(value))
            if found is None:
                found = self.code_refs[id(value)] = self.code(value)
            return found
        if t is float:
            key = (t, c_double(value))
        elif t is complex:
            key = (t, c_double(value.real), c_double(value.imag))
        elif t is tuple:
            key = (t, tuple(self.ref(v) for v in value))
        elif t is frozenset:
            key = (t, tuple(self.ref(v) for v in sorted_set(value)))
        elif t in (bytes, int):
            key = (t, value)
        else:
            fail("cannot freeze a constant of type %s" % t.__name__)
        found = self.by_value.get(key)
        if found is None:
            found = getattr(self, "write_" + t.__name__)(value, key)
            self.by_value[key] = found
        if t is frozenset and found not in self.sets:
            self.sets.append(found)
        if t in (tuple, frozenset):
            self.tuple_items.setdefault(found, list(key[1]))
        return found

    def string(self, value):
        if len(value) <= 1:
            if not value:
                return "(PyObject *)&_Py_STR(empty)"
            if ord(value) < 128:
                return "(PyObject *)&_Py_SINGLETON(strings).ascii[%d]" % ord(value)
            if ord(value) < 256:
                return "(PyObject *)&_Py_SINGLETON(strings).latin1[%d]" % (ord(value) - 128)
        key = (str, value)
        found = self.by_value.get(key)
        if found is None:
            found = self.write_str(value, key)
            self.by_value[key] = found
        return found

    def interned_in(self, value, names=False):
        """Notes that the module interns the strings of tuple `value` (and of tuples in it)."""
        ref = self.ref(value)
        if names:
            self.names_tuples.add(ref)
        if ref in self.tuples:
            return
        self.tuples[ref] = None
        if not names:
            for item in value:
                if type(item) in (tuple, frozenset) and item:
                    self.interned_in(item)

    def write_str(self, s, key):
        name = self.new_name()
        top = max(map(ord, s))
        if top < 128:
            self.out.write(
                "static struct { PyASCIIObject _ascii; uint8_t _data[%d]; } %s = { ._ascii = { .ob_base = { %s }, "
                ".length = %d, .hash = -1, .state = { .kind = 1, .compact = 1, .ascii = 1, .ready = 1 } }, "
                "._data = %s };\n" % (len(s) + 1, name, head("PyUnicode_Type"), len(s), c_bytes(s.encode("ascii")))
            )
            return "(PyObject *)&%s" % name
        kind, c_type = (1, "uint8_t") if top < 256 else (2, "uint16_t") if top < 65536 else (4, "uint32_t")
        self.out.write(
            "static struct { PyCompactUnicodeObject _compact; %s _data[%d]; } %s = { ._compact = { ._base = { "
            ".ob_base = { %s }, .length = %d, .hash = -1, .state = { .kind = %d, .compact = 1, .ascii = 0, "
            ".ready = 1 } } }, ._data = { %s, 0 } };\n"
            % (c_type, len(s) + 1, name, head("PyUnicode_Type"), len(s), kind, ", ".join(str(ord(c)) for c in s))
        )
        return "(PyObject *)&%s" % name

    def write_bytes(self, b, key):
        name = self.new_name()
        self.out.write(
            "static struct { PyObject_VAR_HEAD Py_hash_t ob_shash; char ob_sval[%d]; } %s = { %s, "
            ".ob_shash = -1, .ob_sval = %s };\n" % (len(b) + 1, name, var_head("PyBytes_Type", len(b)), c_bytes(b))
        )
        return "(PyObject *)&%s" % name

    def write_int(self, v, key):
        name = self.new_name()
        digits = []
        rest = abs(v)
        while rest:
            digits.append(rest & ((1 << self.digit_bits) - 1))
            rest >>= self.digit_bits
        size = -len(digits) if v < 0 else len(digits)
        self.out.write(
            "static struct { PyObject_VAR_HEAD digit ob_digit[%d]; } %s = { %s, .ob_digit = { %s } };\n"
            % (len(digits), name, var_head("PyLong_Type", size), ", ".join(map(str, digits)))
        )
        return "(PyObject *)&%s" % name

    def write_float(self, v, key):
        name = self.new_name()
        self.out.write(
            "static PyFloatObject %s = { .ob_base = { %s }, .ob_fval = %s };\n"
            % (name, head("PyFloat_Type"), c_double(v))
        )
        return "(PyObject *)&%s" % name

    def write_complex(self, v, key):
        name = self.new_name()
        self.out.write(
            "static PyComplexObject %s = { .ob_base = { %s }, .cval = { %s, %s } };\n"
            % (name, head("PyComplex_Type"), c_double(v.real), c_double(v.imag))
        )
        return "(PyObject *)&%s" % name

    def write_tuple(self, t, key):
        items = list(key[1])
        name = self.new_name()
        # The GC header stays zeroed: an untracked tuple.
        self.out.write(
            "static struct { PyGC_Head _gc_head; struct { PyObject_VAR_HEAD PyObject *ob_item[%d]; } _object; } "
            "%s = { ._object = { %s, .ob_item = { %s } } };\n"
            % (max(len(items), 1), name, var_head("PyTuple_Type", len(items)), ", ".join(items) or "NULL")
        )
        return "(PyObject *)&%s._object" % name

    def write_frozenset(self, fs, key):
        # A tuple of the members; oxdist_frozen_code swaps in a frozenset.
        return self.write_tuple(None, key)

    def code(self, co):
        consts = self.ref(co.co_consts)
        names = self.ref(co.co_names)
        # co_localsplusnames/kinds as CPython's compiler lays them out:
        # arguments and locals, then cells that are not arguments, then free
        # variables; a cell that is also an argument keeps its first slot.
        kinds = {}
        for v in co.co_varnames:
            kinds[v] = kinds.get(v, 0) | CO_FAST_LOCAL
        for v in co.co_cellvars:
            kinds[v] = kinds.get(v, 0) | CO_FAST_CELL
        for v in co.co_freevars:
            kinds[v] = kinds.get(v, 0) | CO_FAST_FREE
        cell_args = sum(1 for v in co.co_cellvars if v in co.co_varnames)
        if len(kinds) != len(co.co_varnames) + len(co.co_cellvars) - cell_args + len(co.co_freevars):
            # A name both cell and free (or listed twice) would make the slot
            # counts below disagree with the names: refuse rather than write it.
            fail("cannot freeze %s (%s): a variable is both a cell and a free variable" % (co.co_qualname, co.co_filename))
        code = co.co_code
        first_traceable = 0
        for i in range(0, len(code), 2):
            if code[i] == self.resume:
                first_traceable = i // 2
                break
        fields = [
            ("co_consts", consts),
            ("co_names", names),
            ("co_exceptiontable", self.ref(co.co_exceptiontable)),
            ("co_flags", co.co_flags),
            ("co_warmup", "QUICKENING_INITIAL_WARMUP_VALUE"),
            ("_co_linearray_entry_size", 0),
            ("co_argcount", co.co_argcount),
            ("co_posonlyargcount", co.co_posonlyargcount),
            ("co_kwonlyargcount", co.co_kwonlyargcount),
            ("co_stacksize", co.co_stacksize),
            ("co_firstlineno", co.co_firstlineno),
            ("co_nlocalsplus", len(kinds)),
            ("co_nlocals", len(co.co_varnames)),
            ("co_nplaincellvars", len(co.co_cellvars) - cell_args),
            ("co_ncellvars", len(co.co_cellvars)),
            ("co_nfreevars", len(co.co_freevars)),
            ("co_localsplusnames", self.ref(tuple(kinds))),
            ("co_localspluskinds", self.ref(bytes(kinds.values()))),
            ("co_filename", self.ref(co.co_filename)),
            ("co_name", self.ref(co.co_name)),
            ("co_qualname", self.ref(co.co_qualname)),
            ("co_linetable", self.ref(co.co_linetable)),
            ("_co_firsttraceable", first_traceable),
            ("co_code_adaptive", c_bytes(code)),
        ]
        # What _PyStaticCode_InternStrings would intern.
        if co.co_names:
            self.interned_in(co.co_names, names=True)
        if kinds:
            self.interned_in(tuple(kinds), names=True)
        if co.co_consts:
            self.interned_in(co.co_consts)
        name = self.new_name()
        self.out.write(
            "static struct _PyCode_DEF(%d) %s = {\n  %s,\n%s};\n"
            % (
                len(code),
                name,
                var_head("PyCode_Type", len(code) // 2),
                "".join("  .%s = %s,\n" % field for field in fields),
            )
        )
        self.codes.append(name)
        return "(PyObject *)&%s" % name


    def write_tables(self, module_rows):
        """The string, tuple and module tables, once every object is written."""
        strings = sorted(self.string_index, key=self.string_index.get)
        self.out.write("static PyObject *const oxdist_strings[] = {\n%s};\n" % "".join("  %s,\n" % s for s in strings))
        self.out.write("static PyObject *oxdist_canonical[%d];\n" % len(strings))
        descriptors = {}
        rows = []
        for ref, items in self.tuple_items.items():
            every = ref in self.names_tuples
            indices = [
                self.string_index[item] if item in self.string_index and (every or self.name_like[item]) else -1
                for item in items
            ]
            if any(i >= 0 for i in indices):
                n = len(descriptors)
                descriptors[ref] = n
                self.out.write("static const int32_t t%d_strings[] = { %s };\n" % (n, ", ".join(map(str, indices))))
                rows.append("  { %s, t%d_strings, %d, 0 },\n" % (ref, n, len(items)))
        self.out.write("static struct oxdist_tuple oxdist_tuples[] = {\n%s};\n" % ("".join(rows) or "  { NULL, NULL, 0, 1 },\n"))
        table = []
        # Sorted by name for bsearch (strcmp order: the names are ASCII or UTF-8).
        module_rows = sorted(module_rows, key=lambda row: row[0].encode("utf-8"))
        for i, (name, digest, top, codes, sets, tuples) in enumerate(module_rows):
            used = [descriptors[t] for t in tuples if t in descriptors]
            self.out.write("static const int32_t m%d_tuples[] = { %s };\n" % (i, ", ".join(map(str, used)) or "0"))
            self.out.write("static PyObject *m%d_sets[] = { %s };\n" % (i, ", ".join(sets) or "NULL"))
            self.out.write(
                "static PyCodeObject *m%d_codes[] = { %s };\n" % (i, ", ".join("(PyCodeObject *)&" + c for c in codes))
            )
            table.append(
                "  { %s, %s, %s, m%d_tuples, %d, m%d_sets, %d, m%d_codes, %d, 0 },\n"
                % (c_bytes(name.encode("utf-8")), c_bytes(digest), top, i, len(used), i, len(sets), i, len(codes))
            )
        self.out.write("static struct oxdist_frozen_module oxdist_frozen_modules[] = {\n%s};\n" % "".join(table))


def sorted_set(value):
    try:
        return sorted(value)
    except TypeError:
        return sorted(value, key=repr)


def read_input(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC):
        fail("%s is not an oxdist deep-freeze input" % path)
    pos = len(MAGIC)
    modules = []
    while pos < len(data):
        (name_len,) = struct.unpack_from("<I", data, pos)
        pos += 4
        name = data[pos : pos + name_len].decode("utf-8")
        pos += name_len
        digest = data[pos : pos + 32]
        pos += 32
        (size,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        modules.append((name, digest, data[pos : pos + size]))
        pos += size
    return modules


PRELUDE = """\
/* Generated by oxdist's deep-freeze generator: static code objects. */
#define Py_BUILD_CORE 1
#include "Python.h"
#include "internal/pycore_gc.h"
#include "internal/pycore_code.h"
#include "internal/pycore_runtime.h"
#include "internal/pycore_global_objects.h"
#include <string.h>

/* A tuple whose strings are interned on first use: strings[i] is the index
   in oxdist_strings of item i, or -1 for an item that is not interned. */
struct oxdist_tuple {
    PyObject *tuple;
    const int32_t *strings;
    int count;
    int done;
};

struct oxdist_frozen_module {
    const char *name;
    const char *digest; /* 32 bytes: SHA-256 of the marshal data */
    PyObject *code;
    const int32_t *tuples; /* indices in oxdist_tuples */
    int ntuples;
    PyObject **sets; /* frozenset stand-ins */
    int nsets;
    PyCodeObject **codes; /* every code object of the module */
    int ncodes;
    int ready;
};
"""

LOOKUP = r"""
static int oxdist_compare(const void *name, const void *module) {
    return strcmp((const char *)name, ((const struct oxdist_frozen_module *)module)->name);
}

/* Replaces the frozenset stand-ins among `consts` (and tuples in it) by frozensets. */
static int oxdist_make_sets(PyObject *consts, PyObject **sets, int nsets) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); i++) {
        PyObject *item = PyTuple_GET_ITEM(consts, i);
        for (int k = 0; k < nsets; k++) {
            if (item == sets[k]) {
                PyObject *set = PyFrozenSet_New(item);
                if (set == NULL) {
                    return -1;
                }
                PyTuple_SET_ITEM(consts, i, set);
                item = set;
                break;
            }
        }
        if (PyTuple_CheckExact(item) && oxdist_make_sets(item, sets, nsets) < 0) {
            return -1;
        }
    }
    return 0;
}

/* What _PyStaticCode_InternStrings does for each code object, done once per
   tuple and once per string for the whole process: every string is looked up
   in (or added to) CPython's interned dict once, and each tuple slot then
   takes the canonical object. */
static void oxdist_intern(const struct oxdist_frozen_module *module) {
    for (int t = 0; t < module->ntuples; t++) {
        struct oxdist_tuple *tuple = &oxdist_tuples[module->tuples[t]];
        if (tuple->done) {
            continue;
        }
        for (int i = 0; i < tuple->count; i++) {
            int32_t index = tuple->strings[i];
            if (index < 0) {
                continue;
            }
            PyObject *canonical = oxdist_canonical[index];
            if (canonical == NULL) {
                canonical = oxdist_strings[index];
                Py_INCREF(canonical);
                PyUnicode_InternInPlace(&canonical);
                oxdist_canonical[index] = canonical;
            }
            if (PyTuple_GET_ITEM(tuple->tuple, i) != canonical) {
                Py_INCREF(canonical);
                PyTuple_SET_ITEM(tuple->tuple, i, canonical);
            }
        }
        tuple->done = 1;
    }
}

PyObject *oxdist_frozen_code(const char *name, const unsigned char *digest) {
    struct oxdist_frozen_module *module = bsearch(
        name, oxdist_frozen_modules, sizeof(oxdist_frozen_modules) / sizeof(oxdist_frozen_modules[0]),
        sizeof(oxdist_frozen_modules[0]), oxdist_compare);
    if (module == NULL || memcmp(module->digest, digest, 32) != 0) {
        return NULL;
    }
    if (!module->ready) {
        oxdist_intern(module);
        for (int i = 0; module->nsets && i < module->ncodes; i++) {
            if (oxdist_make_sets(module->codes[i]->co_consts, module->sets, module->nsets) < 0) {
                return NULL;
            }
        }
        module->ready = 1;
    }
    Py_INCREF(module->code);
    return module->code;
}
"""


def main():
    if len(sys.argv) != 3:
        fail("usage: deepfreeze.py INPUT OUTPUT.c")
    if sys.version_info[:2] != (3, 11):
        fail("deep-freezing supports CPython 3.11 only, not %d.%d" % sys.version_info[:2])
    if sys.implementation.name != "cpython":
        fail("deep-freezing needs CPython, not %s" % sys.implementation.name)
    if sysconfig.get_config_var("Py_DEBUG") or hasattr(sys, "gettotalrefcount"):
        fail("deep-freezing needs a release build of CPython (this one is a debug build)")
    include = sysconfig.get_path("include")
    if not os.path.isfile(os.path.join(include, "internal", "pycore_code.h")):
        fail(
            "CPython's internal headers are missing from %s (on Debian and Ubuntu: apt-get install python3.11-dev)"
            % include
        )
    import marshal
    import opcode

    modules = sorted(read_input(sys.argv[1]), key=lambda m: (m[0] not in STARTUP_MODULES, m[0]))
    temp = sys.argv[2] + ".tmp"
    with open(temp, "w", encoding="ascii") as out:
        freezer = Freezer(out, opcode.opmap["RESUME"], sys.int_info.bits_per_digit)
        out.write(PRELUDE)
        module_rows = []
        for name, digest, data in modules:
            freezer.codes = []
            freezer.sets = []
            freezer.tuples = {}
            freezer.code_refs = {}
            top = freezer.ref(marshal.loads(data))
            module_rows.append((name, digest, top, list(freezer.codes), list(freezer.sets), list(freezer.tuples)))
        freezer.write_tables(module_rows)
        out.write(LOOKUP)
    os.replace(temp, sys.argv[2])
    print(include)


if __name__ == "__main__":
    main()
