#include "CEdit.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <editline/readline.h>

// Typed from libedit's own declaration (__typeof__ does not reference the symbol, so nothing links it).
static __typeof__(readline) *readline_fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *lib = dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib) *(void **)&readline_fn = dlsym(lib, "readline");
}

char *dc_readline(const char *prompt, int *unavailable) {
    pthread_once(&once, load);
    if (!readline_fn) {
        *unavailable = 1;
        return NULL;
    }
    return readline_fn(prompt);
}
