/*
 * vecmath: a small C extension written the way a first-time extension author writes one (from the
 * CPython tutorial's Custom type and a few module functions), for the fault sweep's proof on code the
 * tool was not written for (debug/README.md, "Proof on code it was not written for"). It is NOT a fixture
 * with planted bugs: it was written before sweeping it, and whatever the sweep finds in it is reported as
 * found, in debug/README.md.
 *
 *   Vec(values)       a vector of doubles (a C array), with len(), v[i], norm(), scaled(k), tolist()
 *   dot(a, b)         the dot product of two Vecs
 *   linspace(a, b, n) a Vec of n evenly spaced values
 *   histogram(values, bins) the counts per bin, as a dict {bin index: count}
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    double *data;
    PyObject *label;
} VecObject;

static void Vec_dealloc(VecObject *self) {
    PyMem_Free(self->data);
    Py_XDECREF(self->label);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Vec_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    VecObject *self = (VecObject *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->n = 0;
        self->data = NULL;
        self->label = PyUnicode_FromString("vec");
        if (self->label == NULL) {
            Py_DECREF(self);
            return NULL;
        }
    }
    return (PyObject *)self;
}

static int Vec_init(VecObject *self, PyObject *args, PyObject *kwds) {
    PyObject *values;
    static char *kwlist[] = {"values", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O", kwlist, &values)) return -1;
    PyObject *seq = PySequence_Fast(values, "Vec() needs a sequence of numbers");
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    double *data = PyMem_Malloc(n * sizeof(double) + 1);
    if (data == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        data[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (data[i] == -1.0 && PyErr_Occurred()) {
            PyMem_Free(data);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    PyMem_Free(self->data);
    self->data = data;
    self->n = n;
    return 0;
}

static Py_ssize_t Vec_len(VecObject *self) { return self->n; }

static PyObject *Vec_item(VecObject *self, Py_ssize_t i) {
    if (i < 0 || i >= self->n) {
        PyErr_SetString(PyExc_IndexError, "Vec index out of range");
        return NULL;
    }
    return PyFloat_FromDouble(self->data[i]);
}

static PyObject *Vec_norm(VecObject *self, PyObject *Py_UNUSED(ignored)) {
    double s = 0;
    for (Py_ssize_t i = 0; i < self->n; i++) s += self->data[i] * self->data[i];
    return PyFloat_FromDouble(sqrt(s));
}

static PyTypeObject VecType;

static VecObject *new_vec(Py_ssize_t n) {
    VecObject *v = (VecObject *)Vec_new(&VecType, NULL, NULL);
    if (v == NULL) return NULL;
    v->data = PyMem_Calloc(n ? n : 1, sizeof(double));
    v->n = n;
    return v;
}

static PyObject *Vec_scaled(VecObject *self, PyObject *arg) {
    double k = PyFloat_AsDouble(arg);
    if (k == -1.0 && PyErr_Occurred()) return NULL;
    VecObject *r = new_vec(self->n);
    if (r == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) r->data[i] = self->data[i] * k;
    return (PyObject *)r;
}

static PyObject *Vec_tolist(VecObject *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *list = PyList_New(self->n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        PyList_SET_ITEM(list, i, PyFloat_FromDouble(self->data[i]));
    }
    return list;
}

static PyObject *Vec_repr(VecObject *self) {
    PyObject *list = Vec_tolist(self, NULL);
    if (list == NULL) return NULL;
    PyObject *r = PyUnicode_FromFormat("%U(%R)", self->label, list);
    Py_DECREF(list);
    return r;
}

static PyMethodDef Vec_methods[] = {
    {"norm", (PyCFunction)Vec_norm, METH_NOARGS, "Euclidean norm"},
    {"scaled", (PyCFunction)Vec_scaled, METH_O, "a new Vec multiplied by k"},
    {"tolist", (PyCFunction)Vec_tolist, METH_NOARGS, "the values as a list of floats"},
    {NULL},
};

static PySequenceMethods Vec_as_sequence = {
    .sq_length = (lenfunc)Vec_len,
    .sq_item = (ssizeargfunc)Vec_item,
};

static PyTypeObject VecType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "vecmath.Vec",
    .tp_doc = "a vector of doubles",
    .tp_basicsize = sizeof(VecObject),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Vec_new,
    .tp_init = (initproc)Vec_init,
    .tp_dealloc = (destructor)Vec_dealloc,
    .tp_repr = (reprfunc)Vec_repr,
    .tp_as_sequence = &Vec_as_sequence,
    .tp_methods = Vec_methods,
};

static PyObject *dot(PyObject *self, PyObject *args) {
    VecObject *a, *b;
    if (!PyArg_ParseTuple(args, "O!O!", &VecType, &a, &VecType, &b)) return NULL;
    if (a->n != b->n) {
        PyErr_SetString(PyExc_ValueError, "dot: vectors of different lengths");
        return NULL;
    }
    double s = 0;
    for (Py_ssize_t i = 0; i < a->n; i++) s += a->data[i] * b->data[i];
    return PyFloat_FromDouble(s);
}

static PyObject *linspace(PyObject *self, PyObject *args) {
    double lo, hi;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "ddn", &lo, &hi, &n)) return NULL;
    if (n < 2) {
        PyErr_SetString(PyExc_ValueError, "linspace: n must be at least 2");
        return NULL;
    }
    VecObject *v = new_vec(n);
    if (v == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) v->data[i] = lo + (hi - lo) * i / (n - 1);
    return (PyObject *)v;
}

static PyObject *histogram(PyObject *self, PyObject *args) {
    PyObject *values;
    Py_ssize_t bins;
    if (!PyArg_ParseTuple(args, "On", &values, &bins)) return NULL;
    PyObject *seq = PySequence_Fast(values, "histogram() needs a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t *counts = PyMem_Calloc(bins, sizeof(Py_ssize_t));
    double lo = INFINITY, hi = -INFINITY;
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        Py_ssize_t k = hi > lo ? (Py_ssize_t)((x - lo) / (hi - lo) * bins) : 0;
        if (k >= bins) k = bins - 1;
        counts[k]++;
    }
    Py_DECREF(seq);
    PyObject *result = PyDict_New();
    for (Py_ssize_t k = 0; k < bins; k++) {
        if (!counts[k]) continue;
        PyObject *key = PyLong_FromSsize_t(k), *val = PyLong_FromSsize_t(counts[k]);
        if (key == NULL || val == NULL || PyDict_SetItem(result, key, val) < 0) {
            Py_XDECREF(key);
            Py_XDECREF(val);
            Py_DECREF(result);
            PyMem_Free(counts);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(val);
    }
    PyMem_Free(counts);
    return result;
}

static PyMethodDef vecmath_methods[] = {
    {"dot", dot, METH_VARARGS, "dot product of two Vecs"},
    {"linspace", linspace, METH_VARARGS, "n evenly spaced values from a to b"},
    {"histogram", histogram, METH_VARARGS, "counts per bin of a sequence of numbers"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef vecmath_module = {
    PyModuleDef_HEAD_INIT, "vecmath", "small vector maths", -1, vecmath_methods,
};

PyMODINIT_FUNC PyInit_vecmath(void) {
    if (PyType_Ready(&VecType) < 0) return NULL;
    PyObject *m = PyModule_Create(&vecmath_module);
    if (m == NULL) return NULL;
    Py_INCREF(&VecType);
    if (PyModule_AddObject(m, "Vec", (PyObject *)&VecType) < 0) {
        Py_DECREF(&VecType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
