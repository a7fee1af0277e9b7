#ifndef DOCKERCLOUD_CCURL_SHIM_H
#define DOCKERCLOUD_CCURL_SHIM_H
#include <curl/curl.h>
#include <poll.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument kind.
static inline CURLcode dc_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dc_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dc_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dc_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*dc_data_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode dc_setopt_callback(CURL *h, CURLoption o, dc_data_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dc_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dc_getinfo_socket(CURL *h, curl_socket_t *v) { return curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }

#endif
