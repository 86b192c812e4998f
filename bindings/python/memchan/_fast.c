/* memchan._fast: the binding's per-message calls without ctypes (docs/python.md, "How it is
 * made"). A ctypes call costs about half a microsecond, which alone kept a 64-byte receive
 * under a million a second; a call through this module costs a tenth of that. It calls
 * libmemchan through the function addresses the binding passes (those of the library ctypes
 * loaded), so it needs neither memchan's header nor its library to be built, and there is
 * one library in the process, the one the binding found.
 *
 * Private: the binding passes function addresses it took from ctypes and handles of channels
 * it keeps open; nothing here can check those pointers, so nothing here is for users. The
 * buffers are Python objects, taken through the buffer protocol for the call only. The
 * channel handle is read before the buffer is: an object whose buffer export closed that
 * very channel would leave it dangling, which is why a Channel is for one thread at a time
 * and the module for the binding alone. Each call is a try
 * that never waits (timeout 0) and keeps the GIL; waiting stays in the binding, in slices,
 * with the GIL released (so that Ctrl-C is seen within a slice). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

typedef int (*recv_fn)(void *ch, void *buf, size_t cap, size_t *len, int timeout_ms);
typedef int (*send_fn)(void *ch, const void *msg, size_t len, int timeout_ms);

/* The function and the channel, the first two arguments; 0, or -1 with a Python error set. */
static int fn_and_chan(PyObject *const *args, Py_ssize_t nargs, const char *usage, void **fn,
                       void **ch) {
  if (nargs != 3) {
    PyErr_Format(PyExc_TypeError, "memchan._fast: %s", usage);
    return -1;
  }
  *fn = PyLong_AsVoidPtr(args[0]);
  if (PyErr_Occurred()) return -1;
  *ch = PyLong_AsVoidPtr(args[1]);
  if (PyErr_Occurred()) return -1;
  if (!*fn || !*ch) {
    PyErr_Format(PyExc_ValueError, "memchan._fast: %s: a NULL function or channel", usage);
    return -1;
  }
  return 0;
}

/* recv(fn, channel, buffer) -> the message's length (>= 0), memchan's error code (< 0;
   MC_ENOSPC leaves the message queued: the binding asks its size again), or None for a
   buffer it does not take (read-only, not contiguous). The buffer is held for the call only. */
static PyObject *fast_recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  (void)self;
  void *fn, *ch;
  Py_buffer b;
  if (fn_and_chan(args, nargs, "recv(fn, channel, buffer)", &fn, &ch) != 0) return NULL;
  if (PyObject_GetBuffer(args[2], &b, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0) {
    PyErr_Clear(); /* read-only or not contiguous (numpy says ValueError, others BufferError
                      or TypeError): the binding's ctypes path gives the answer it always did */
    Py_RETURN_NONE;
  }
  size_t len = 0;
  int rc = ((recv_fn)(uintptr_t)fn)(ch, b.buf, (size_t)b.len, &len, 0);
  PyBuffer_Release(&b);
  return PyLong_FromLongLong(rc == 0 ? (long long)len : (long long)rc);
}

/* send(fn, channel, data) -> 0, memchan's error code (< 0), or None for data it does not take
   (not contiguous, not bytes-like). The data is held for the call only. */
static PyObject *fast_send(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  (void)self;
  void *fn, *ch;
  Py_buffer b;
  if (fn_and_chan(args, nargs, "send(fn, channel, data)", &fn, &ch) != 0) return NULL;
  if (PyObject_GetBuffer(args[2], &b, PyBUF_C_CONTIGUOUS) != 0) {
    PyErr_Clear(); /* not contiguous, or not bytes-like: the ctypes path copies or refuses */
    Py_RETURN_NONE;
  }
  int rc = ((send_fn)(uintptr_t)fn)(ch, b.buf, (size_t)b.len, 0);
  PyBuffer_Release(&b);
  return PyLong_FromLong(rc);
}

static PyMethodDef methods[] = {
    {"recv", (PyCFunction)(void (*)(void))fast_recv, METH_FASTCALL,
     "recv(fn, channel, buffer): one try of mc_chan_recv (timeout 0)"},
    {"send", (PyCFunction)(void (*)(void))fast_send, METH_FASTCALL,
     "send(fn, channel, data): one try of mc_chan_send (timeout 0)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "memchan._fast",
                                    "The binding's per-message calls, compiled (private).", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fast(void) {
  return PyModule_Create(&module);
}
