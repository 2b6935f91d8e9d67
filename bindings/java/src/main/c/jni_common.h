/* Shared by the JNI glue's files: classes and methods cached at load, turning a failed
 * dsi_status into a thrown DsinferException, and copying Java arrays into C memory.
 *
 * Conventions every glue function keeps: it copies Java arrays in and out with the
 * Get/Set*ArrayRegion calls (never pinning JVM memory across a library call), checks for a
 * pending exception after each JNI call that can raise one, and returns at once when one
 * is pending. Helpers that fail leave an exception pending and return NULL or nonzero. */
#ifndef DSINFER_JNI_COMMON_H
#define DSINFER_JNI_COMMON_H

#include <jni.h>
#include <stddef.h>
#include <stdint.h>

#include "dsinfer.h"

/* Cached at JNI_OnLoad: the classes the glue calls back into. */
extern jclass dj_exception_class;   /* ai.dsinfer.DsinferException */
extern jmethodID dj_exception_from_native;
extern jmethodID dj_token_stream_on_token; /* TokenStream.onToken(I[BF[I[F)Z */
extern jmethodID dj_progress_on_progress;  /* ProgressRelay.onProgress(F)V */
extern JavaVM *dj_vm;

/* Pointers travel to Java as jlong. */
#define DJ_PTR(type, h) ((type *)(intptr_t)(h))
#define DJ_HANDLE(p) ((jlong)(intptr_t)(p))

/* Throws DsinferException for st with dsi_last_error() as the message; must be called
 * before any other dsi_ call on this thread. Keeps an already pending exception. Returns 1
 * when st is not DSI_OK. */
int dj_check(JNIEnv *env, dsi_status st);
/* Throws DsinferException with the binding's own message. */
void dj_throw(JNIEnv *env, dsi_status st, const char *message);
void dj_throw_npe(JNIEnv *env, const char *what);

/* A NUL-terminated malloc'd copy of a byte[] (free it); *len gets its length when len is not NULL. */
char *dj_bytes(JNIEnv *env, jbyteArray a, size_t *len);
/* A malloc'd copy of an int[] (free it); *n gets its length. */
int32_t *dj_ints(JNIEnv *env, jintArray a, size_t *n);
/* A new byte[] holding n bytes of s. */
jbyteArray dj_new_bytes(JNIEnv *env, const char *s, size_t n);
/* Throws unless a is at least n long (an internal contract between Java and the glue). */
int dj_require_length(JNIEnv *env, jarray a, jsize n, const char *what);

/* The JNIEnv of the calling thread when it is `expected`, else NULL: a library callback
 * arriving on another thread must not touch the JNIEnv of the thread that made the call. */
JNIEnv *dj_same_thread(JNIEnv *expected);

#endif
