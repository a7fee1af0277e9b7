#ifndef DOCKERCLOUD_CCURL_H
#define DOCKERCLOUD_CCURL_H
// libcurl for Swift, loaded on first use. The types and constants come from libcurl's headers
// (Debian: libcurl4-openssl-dev); the library itself (libcurl.so.4) is opened with dlopen the
// first time a request is made, so commands that never reach the network (--help, --version,
// usage errors) do not pay for loading libcurl and its TLS stack, about 7 ms per run.
#include <curl/curl.h>
#include <poll.h>

/// NULL once libcurl is loaded (it is loaded by this call if need be), else why it could not be.
const char *dc_curl_load_error(void);

CURLcode dc_global_init(long flags);
CURL *dc_easy_init(void);
void dc_easy_cleanup(CURL *h);
void dc_easy_reset(CURL *h);
CURLcode dc_easy_perform(CURL *h);
CURLcode dc_easy_send(CURL *h, const void *buffer, size_t length, size_t *sent);
CURLcode dc_easy_recv(CURL *h, void *buffer, size_t length, size_t *received);
const char *dc_easy_strerror(CURLcode code);
struct curl_slist *dc_slist_append(struct curl_slist *list, const char *value);
void dc_slist_free_all(struct curl_slist *list);

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument kind.
CURLcode dc_setopt_long(CURL *h, CURLoption o, long v);
CURLcode dc_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode dc_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode dc_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
typedef size_t (*dc_data_callback)(char *data, size_t size, size_t count, void *context);
CURLcode dc_setopt_callback(CURL *h, CURLoption o, dc_data_callback v);
CURLcode dc_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode dc_getinfo_socket(CURL *h, curl_socket_t *v);

#endif
