"""memchan's errors as exceptions: one base class, one subclass per MC_E* code.

The codes, names and texts come from the library's own table (mc_err_name, mc_strerror): the
binding names its classes after the C names and holds no numbers of its own, so a code the
library adds later still gets a class (named after its C name) instead of a bare Error.
"""


class Error(Exception):
    """A memchan call failed. .code is the MC_E* value, .name its C name ("MC_ETIMEDOUT"),
    .call the C function that returned it."""
    code = None
    name = None

    def __init__(self, message, code=None, call=None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.call = call


# Python name for each C name; the bases after Error let callers catch the built-in kind too.
KNOWN = {
    "MC_EINVAL": ("InvalidArgument", (ValueError,)),
    "MC_ENOMEM": ("OutOfMemory", (MemoryError,)),
    "MC_ENOENT": ("NotFound", ()),
    "MC_EEXIST": ("Exists", ()),
    "MC_EACCES": ("PermissionDenied", ()),
    "MC_ETIMEDOUT": ("Timeout", ()),
    "MC_EMISMATCH": ("Mismatch", ()),
    "MC_ECORRUPT": ("Corrupt", ()),
    "MC_ENOSPC": ("NoSpace", ()),
    "MC_ERANGE": ("OutOfRange", (IndexError,)),
    "MC_ESTATE": ("BadState", ()),
    "MC_EOWNERDEAD": ("OwnerDead", ()),
    "MC_EPEERDEAD": ("PeerDead", ()),
    "MC_ECLOSED": ("Closed", ()),
    "MC_ENOTSUP": ("NotSupported", ()),
    "MC_ESYS": ("SysError", ()),
    "MC_EABORTED": ("Aborted", ()),
    "MC_EBUSY": ("Busy", ()),
}

CLASSES = {}  # Python name -> class, for every class defined here
for _cname, (_pyname, _bases) in KNOWN.items():
    CLASSES[_pyname] = type(_pyname, (Error,) + _bases,
                            {"__doc__": "memchan %s (.code is its value)." % _cname,
                             "name": _cname, "__module__": "memchan"})

BY_CODE = {}  # MC_E* value -> class, filled from the library's table by bind()


def bind(dll):
    """Gives each class its code from the library's table, and makes a class for every code
    the library has that this binding does not name."""
    BY_CODE.clear()
    code = -1
    while True:
        cname = dll.mc_err_name(code).decode()
        if cname == "MC_E?":  # past the table's end: the codes run -1, -2, ... without gaps
            break
        pyname = KNOWN.get(cname, (cname[3:],))[0]
        cls = CLASSES.get(pyname)
        if cls is None:
            cls = CLASSES[pyname] = type(pyname, (Error,), {"name": cname, "__module__": "memchan"})
        cls.code = code
        BY_CODE[code] = cls
        code -= 1
    return dict(CLASSES)


def make(dll, rc, call, detail=None):
    """The exception for the return code rc of `call`."""
    cls = BY_CODE.get(rc, Error)
    text = dll.mc_strerror(rc).decode()
    msg = "%s: %s (%s)" % (call, text, dll.mc_err_name(rc).decode())
    if cls.name == "MC_ESYS":
        msg += ", OS error %d" % dll.mc_os_error()
    if detail:
        msg += ": " + detail
    return cls(msg, rc, call)

