/* JNI glue: a session's MLA cache and MoE router record. */
#include <stdlib.h>

#include "ai_dsinfer_Native.h"
#include "jni_common.h"

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_cacheGet(JNIEnv *env, jclass cls, jlong session) {
  (void)cls;
  dsi_cache *c = NULL;
  if (dj_check(env, dsi_session_get_cache(DJ_PTR(dsi_session, session), &c))) return 0;
  return DJ_HANDLE(c);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_cacheFree(JNIEnv *env, jclass cls, jlong cache) {
  (void)env;
  (void)cls;
  dsi_cache_free(DJ_PTR(dsi_cache, cache));
}

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_cacheBytesPerToken(JNIEnv *env, jclass cls, jlong cache) {
  (void)cls;
  int64_t n = 0;
  dj_check(env, dsi_cache_bytes_per_token(DJ_PTR(dsi_cache, cache), &n));
  return n;
}

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_cacheTokens(JNIEnv *env, jclass cls, jlong cache) {
  (void)cls;
  int32_t n = 0;
  dj_check(env, dsi_cache_n_tokens(DJ_PTR(dsi_cache, cache), &n));
  return n;
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_cacheTruncate(JNIEnv *env, jclass cls, jlong cache, jint n) {
  (void)cls;
  dj_check(env, dsi_cache_truncate(DJ_PTR(dsi_cache, cache), n));
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_cacheCopy(JNIEnv *env, jclass cls, jlong src, jlong dst, jint n) {
  (void)cls;
  dj_check(env, dsi_cache_copy(DJ_PTR(dsi_cache, src), DJ_PTR(dsi_cache, dst), n));
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_cacheSave(JNIEnv *env, jclass cls, jlong cache, jbyteArray path) {
  (void)cls;
  char *cpath = dj_bytes(env, path, NULL);
  if (!cpath) return;
  dsi_status st = dsi_cache_save(DJ_PTR(dsi_cache, cache), cpath);
  free(cpath);
  dj_check(env, st);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_cacheLoad(JNIEnv *env, jclass cls, jlong cache, jbyteArray path) {
  (void)cls;
  char *cpath = dj_bytes(env, path, NULL);
  if (!cpath) return;
  dsi_status st = dsi_cache_load(DJ_PTR(dsi_cache, cache), cpath);
  free(cpath);
  dj_check(env, st);
}

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_routerGet(JNIEnv *env, jclass cls, jlong session) {
  (void)cls;
  dsi_router *r = NULL;
  if (dj_check(env, dsi_session_get_router(DJ_PTR(dsi_session, session), &r))) return 0;
  return DJ_HANDLE(r);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_routerFree(JNIEnv *env, jclass cls, jlong router) {
  (void)env;
  (void)cls;
  dsi_router_free(DJ_PTR(dsi_router, router));
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_routerInfo(JNIEnv *env, jclass cls, jlong router, jintArray out) {
  (void)cls;
  if (dj_require_length(env, out, 4, "router info array")) return;
  int32_t v[4] = {0, 0, 0, 0};
  if (dj_check(env, dsi_router_info(DJ_PTR(dsi_router, router), &v[0], &v[1], &v[2], &v[3]))) return;
  (*env)->SetIntArrayRegion(env, out, 0, 4, (const jint *)v);
}

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_routerLastChoice(JNIEnv *env, jclass cls, jlong router, jint layer,
                                                               jint token, jintArray experts, jfloatArray weights) {
  (void)cls;
  if (!experts || !weights) {
    dj_throw_npe(env, "choice arrays");
    return 0;
  }
  jsize cap = (*env)->GetArrayLength(env, experts);
  if ((*env)->GetArrayLength(env, weights) < cap) cap = (*env)->GetArrayLength(env, weights);
  int32_t *e = malloc(cap > 0 ? (size_t)cap * sizeof *e : 1);
  float *w = malloc(cap > 0 ? (size_t)cap * sizeof *w : 1);
  size_t n = 0;
  dsi_status st = e && w ? dsi_router_last_choice(DJ_PTR(dsi_router, router), layer, token, e, w, (size_t)cap, &n)
                         : DSI_ERR_OUT_OF_MEMORY;
  jint result = 0;
  if (!e || !w) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for router choices");
  } else if (st == DSI_ERR_BUFFER_TOO_SMALL && n <= INT32_MAX) {
    result = (jint)n; /* the caller retries with room for n */
  } else if (!dj_check(env, st)) {
    (*env)->SetIntArrayRegion(env, experts, 0, (jsize)n, (const jint *)e);
    if (!(*env)->ExceptionCheck(env)) (*env)->SetFloatArrayRegion(env, weights, 0, (jsize)n, w);
    result = (jint)n;
  }
  free(e);
  free(w);
  return result;
}

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_routerExpertCounts(JNIEnv *env, jclass cls, jlong router, jint layer,
                                                                 jlongArray counts) {
  (void)cls;
  if (!counts) {
    dj_throw_npe(env, "counts array");
    return 0;
  }
  jsize cap = (*env)->GetArrayLength(env, counts);
  uint64_t *c = malloc(cap > 0 ? (size_t)cap * sizeof *c : 1);
  if (!c) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for expert counts");
    return 0;
  }
  size_t n = 0;
  dsi_status st = dsi_router_expert_counts(DJ_PTR(dsi_router, router), layer, c, (size_t)cap, &n);
  jint result = 0;
  if (st == DSI_ERR_BUFFER_TOO_SMALL && n <= INT32_MAX) {
    result = (jint)n;
  } else if (!dj_check(env, st)) {
    /* uint64 counts into Java longs: exact below 2^63, which no count reaches. */
    (*env)->SetLongArrayRegion(env, counts, 0, (jsize)n, (const jlong *)c);
    result = (jint)n;
  }
  free(c);
  return result;
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_routerSetTopK(JNIEnv *env, jclass cls, jlong router, jint k) {
  (void)cls;
  dj_check(env, dsi_router_set_top_k(DJ_PTR(dsi_router, router), k));
}
