/*
 * signals.c: one line on stderr whenever the interpreter dies by a fatal signal (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT: the set faulthandler handles), naming the allocator and the signal, plus what
 * the checking layer knows (the allocator call running, the last violation) when it is installed:
 *
 *     allocspec-python: Python died by SIGSEGV on allocator vtable:./libx.so (debug hooks: none); check: ...
 *
 * The handler is installed before pre-initialisation; faulthandler (installed during init when enabled)
 * dumps the Python stacks first and then re-raises to this handler (its "previous"), which writes the
 * line, restores the default action and re-raises: the process still dies by the same signal, so exit
 * statuses and core dumps are unchanged. While a layer is being loaded or installed (launcher_phase) a
 * death is that layer's: one line naming it and exit 2, as for any other layer that cannot install.
 * Async-signal-safe: write(2) of text assembled with plain stores.
 */
#include "launcher.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static const char *const names[] = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT"};
#define NFATAL (sizeof fatal / sizeof *fatal)

static char allocator_name[1024];
static char hooks_name[32];
static const char *volatile phase_layer;

static size_t put(char *b, size_t len, size_t o, const char *s)
{
    while (s && *s && o + 1 < len) {
        unsigned char c = (unsigned char)*s++;
        b[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?'; /* printable text only */
    }
    return o;
}

static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size) n = size - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

static void on_fatal(int sig)
{
    const char *name = "a fatal signal";
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal[i] == sig) name = names[i];
    char line[2048];
    size_t o = put(line, sizeof line, 0, "allocspec-python: ");
    const char *layer = phase_layer;
    if (layer) {
        o = put(line, sizeof line, o, "layer ");
        o = put(line, sizeof line, o, layer);
        o = put(line, sizeof line, o, " died while installing (");
        o = put(line, sizeof line, o, name);
        o = put(line, sizeof line, o, ")");
        if (o + 1 < sizeof line) line[o++] = '\n';
        ssize_t w = write(2, line, o);
        (void)w;
        _exit(LAUNCHER_EXIT_USAGE);
    }
    o = put(line, sizeof line, o, "Python died by ");
    o = put(line, sizeof line, o, name);
    o = put(line, sizeof line, o, " on allocator ");
    o = put(line, sizeof line, o, allocator_name);
    o = put(line, sizeof line, o, " (debug hooks: ");
    o = put(line, sizeof line, o, hooks_name[0] ? hooks_name : "none");
    o = put(line, sizeof line, o, ")");
    launcher_describe_fn describe = launcher_check_describe();
    if (describe) {
        char text[1024];
        size_t n = describe(text, sizeof text);
        if (n) {
            o = put(line, sizeof line, o, "; check: ");
            text[n < sizeof text ? n : sizeof text - 1] = '\0';
            o = put(line, sizeof line, o, text);
        }
    }
    if (o + 1 < sizeof line) line[o++] = '\n';
    ssize_t w = write(2, line, o);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig); /* SA_NODEFER: delivered now, with the default action: the process dies by sig */
}

void launcher_watch_signals(const char *allocator, const char *debug_hooks)
{
    copy(allocator_name, sizeof allocator_name, allocator && *allocator ? allocator : "cpython");
    copy(hooks_name, sizeof hooks_name, debug_hooks);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++) sigaction(fatal[i], &sa, NULL);
}

void launcher_phase(const char *layer) { phase_layer = layer; }
