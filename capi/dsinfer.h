/* dsinfer C ABI (C99). The one interface hosts link against: opaque handles, status
 * codes, a thread-local message for the last failure on the calling thread, and nothing
 * from C++ crossing the boundary. Only symbols starting with dsi_ are exported.
 *
 * ABI rule: functions and enum values are only ever added; a struct passed by pointer
 * starts with its own size so it can grow. DSI_ABI_VERSION changes when an existing
 * function or struct changes incompatibly. */
#ifndef DSINFER_H
#define DSINFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DSINFER_BUILDING)
#define DSI_API __attribute__((visibility("default")))
#else
#define DSI_API
#endif

#define DSI_ABI_VERSION 1

typedef enum dsi_status {
  DSI_OK = 0,
  DSI_ERR_INVALID_ARGUMENT = 1, /* NULL handle, bad size, out-of-range value */
  DSI_ERR_IO = 2,               /* file missing, unreadable, cannot be mapped */
  DSI_ERR_INVALID_FORMAT = 3,   /* the file breaks its format's rules */
  DSI_ERR_UNSUPPORTED = 4,      /* valid, but not something dsinfer implements */
  DSI_ERR_TOO_LARGE = 5,        /* a declared size beyond what dsinfer will allocate */
  DSI_ERR_BUFFER_TOO_SMALL = 6, /* the caller's buffer is short; the needed size was reported */
  DSI_ERR_OUT_OF_MEMORY = 7,
  DSI_ERR_INTERNAL = 8
} dsi_status;

/* DSI_ABI_VERSION of the loaded library; a binding compares it with the one it was
 * written for before making any other call. */
DSI_API uint32_t dsi_abi_version(void);

/* "0.1.0"; static storage, never freed. */
DSI_API const char *dsi_version_string(void);

/* Message of the last failed call on this thread ("" if none); valid until the next
 * dsi_ call on this thread. */
DSI_API const char *dsi_last_error(void);

/* Short constant name of a status ("DSI_ERR_IO"). */
DSI_API const char *dsi_status_name(dsi_status status);

#ifdef __cplusplus
}
#endif

#endif /* DSINFER_H */
