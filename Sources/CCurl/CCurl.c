#include "CCurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// The libcurl functions we call, resolved once from libcurl.so.4.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_send)(CURL *, const void *, size_t, size_t *);
    CURLcode (*easy_recv)(CURL *, void *, size_t, size_t *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
} fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "libcurl could not be loaded (install libcurl4): %s", dlerror());
        return;
    }
#define RESOLVE(field, symbol)                                                                      \
    if (!(*(void **)&fn.field = dlsym(lib, symbol))) {                                              \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s: %s", symbol, dlerror());  \
        return;                                                                                     \
    }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_reset, "curl_easy_reset")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_send, "curl_easy_send")
    RESOLVE(easy_recv, "curl_easy_recv")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
#undef RESOLVE
    loaded = 1;
}

const char *dc_curl_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

// Every entry point but dc_global_init and dc_easy_init is only reached with a handle (or list)
// those returned, so libcurl is loaded by then.
CURLcode dc_global_init(long flags) { return dc_curl_load_error() ? CURLE_FAILED_INIT : fn.global_init(flags); }
CURL *dc_easy_init(void) { return dc_curl_load_error() ? NULL : fn.easy_init(); }
void dc_easy_cleanup(CURL *h) { if (h) fn.easy_cleanup(h); }
void dc_easy_reset(CURL *h) { fn.easy_reset(h); }
CURLcode dc_easy_perform(CURL *h) { return fn.easy_perform(h); }
CURLcode dc_easy_send(CURL *h, const void *b, size_t n, size_t *sent) { return fn.easy_send(h, b, n, sent); }
CURLcode dc_easy_recv(CURL *h, void *b, size_t n, size_t *received) { return fn.easy_recv(h, b, n, received); }
const char *dc_easy_strerror(CURLcode code) { return dc_curl_load_error() ? "libcurl is not loaded" : fn.easy_strerror(code); }
struct curl_slist *dc_slist_append(struct curl_slist *l, const char *v) { return fn.slist_append(l, v); }
void dc_slist_free_all(struct curl_slist *l) { if (l) fn.slist_free_all(l); }
CURLcode dc_setopt_long(CURL *h, CURLoption o, long v) { return fn.easy_setopt(h, o, v); }
CURLcode dc_setopt_string(CURL *h, CURLoption o, const char *v) { return fn.easy_setopt(h, o, v); }
CURLcode dc_setopt_pointer(CURL *h, CURLoption o, void *v) { return fn.easy_setopt(h, o, v); }
CURLcode dc_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return fn.easy_setopt(h, o, v); }
CURLcode dc_setopt_callback(CURL *h, CURLoption o, dc_data_callback v) { return fn.easy_setopt(h, o, v); }
CURLcode dc_getinfo_long(CURL *h, CURLINFO i, long *v) { return fn.easy_getinfo(h, i, v); }
CURLcode dc_getinfo_socket(CURL *h, curl_socket_t *v) { return fn.easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }
