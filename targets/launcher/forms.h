/*
 * forms.h: the launcher's allocator forms, ALLOCSPEC_ALLOCATOR=FORM[:FIELD...], as one X-macro list that
 * the C parser (allocator.c) and TypeScript (targets/launcher_forms.ts reads this file) both use, so the
 * two cannot disagree. A target kind hands the launcher one of these resolved forms (targets/kinds.ts);
 * only a new way of installing an allocator adds a line here (and its case in allocator.c).
 *
 * X(name, number of fields after the name, syntax shown in errors)
 */
#ifndef ALLOCSPEC_LAUNCHER_FORMS_H
#define ALLOCSPEC_LAUNCHER_FORMS_H

#define LAUNCHER_FORMS(X)                                   \
    X(cpython, 0, "cpython")                                \
    X(native, 1, "native:cpython310|pep445")                \
    X(vtable, 2, "vtable:/abs/lib.so:SYMBOL")              \
    X(libc, 2, "libc:/abs/lib.so:PREFIX")

#define LAUNCHER_FORM_ENUM(name, fields, syntax) LAUNCHER_FORM_##name,
typedef enum { LAUNCHER_FORMS(LAUNCHER_FORM_ENUM) LAUNCHER_FORM_COUNT } launcher_form;
#undef LAUNCHER_FORM_ENUM

#endif
