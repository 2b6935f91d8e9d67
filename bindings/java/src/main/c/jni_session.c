/* JNI glue: sessions and generation with a streaming callback into Java. */
#include <stdlib.h>
#include <string.h>

#include "ai_dsinfer_Native.h"
#include "jni_common.h"

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_sessionCreate(JNIEnv *env, jclass cls, jlong model, jint n_ctx) {
  (void)cls;
  dsi_session_params sp = dsi_session_default_params();
  sp.n_ctx = n_ctx;
  dsi_session *s = NULL;
  if (dj_check(env, dsi_session_create(DJ_PTR(dsi_model, model), &sp, &s))) return 0;
  return DJ_HANDLE(s);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_sessionFree(JNIEnv *env, jclass cls, jlong session) {
  (void)env;
  (void)cls;
  dsi_session_free(DJ_PTR(dsi_session, session));
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_sessionPrefill(JNIEnv *env, jclass cls, jlong session, jintArray ids) {
  (void)cls;
  size_t n = 0;
  int32_t *cids = dj_ints(env, ids, &n);
  if (!cids) return;
  dsi_status st = dsi_session_prefill(DJ_PTR(dsi_session, session), cids, n);
  free(cids);
  dj_check(env, st);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_sessionDecode(JNIEnv *env, jclass cls, jlong session, jint id) {
  (void)cls;
  dj_check(env, dsi_session_decode(DJ_PTR(dsi_session, session), id));
}

JNIEXPORT jfloatArray JNICALL Java_ai_dsinfer_Native_sessionLogits(JNIEnv *env, jclass cls, jlong session) {
  (void)cls;
  const float *logits = NULL;
  size_t n = 0;
  if (dj_check(env, dsi_session_logits(DJ_PTR(dsi_session, session), &logits, &n))) return NULL;
  if (n > INT32_MAX) {
    dj_throw(env, DSI_ERR_TOO_LARGE, "more logits than a Java array can hold");
    return NULL;
  }
  jfloatArray out = (*env)->NewFloatArray(env, (jsize)n);
  if (out) (*env)->SetFloatArrayRegion(env, out, 0, (jsize)n, logits);
  return out;
}

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_sessionNPast(JNIEnv *env, jclass cls, jlong session) {
  (void)cls;
  int32_t n = 0;
  dj_check(env, dsi_session_n_past(DJ_PTR(dsi_session, session), &n));
  return n;
}

/* ---- generation ---- */

/* Indices into the packed arrays; GenerateParams.java holds the same table. */
enum { I_MAX_TOKENS, I_TOP_K, I_PENALTY_LAST_N, I_STOP_AT_EOS, I_TOP_LOGPROBS, I_ADD_SPECIAL, I_SEED, N_INTS };
enum { F_TEMPERATURE, F_TOP_P, F_MIN_P, F_REPETITION, F_FREQUENCY, F_PRESENCE, N_FLOATS };

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_generateDefaults(JNIEnv *env, jclass cls, jlongArray ints,
                                                               jfloatArray floats) {
  (void)cls;
  if (dj_require_length(env, ints, N_INTS, "params ints") || dj_require_length(env, floats, N_FLOATS, "params floats"))
    return;
  const dsi_generate_params p = dsi_generate_default_params();
  jlong iv[N_INTS];
  iv[I_MAX_TOKENS] = p.max_tokens;
  iv[I_TOP_K] = p.top_k;
  iv[I_PENALTY_LAST_N] = p.penalty_last_n;
  iv[I_STOP_AT_EOS] = p.stop_at_eos;
  iv[I_TOP_LOGPROBS] = p.top_logprobs;
  iv[I_ADD_SPECIAL] = p.add_special;
  iv[I_SEED] = (jlong)p.seed;
  jfloat fv[N_FLOATS];
  fv[F_TEMPERATURE] = p.temperature;
  fv[F_TOP_P] = p.top_p;
  fv[F_MIN_P] = p.min_p;
  fv[F_REPETITION] = p.repetition_penalty;
  fv[F_FREQUENCY] = p.frequency_penalty;
  fv[F_PRESENCE] = p.presence_penalty;
  (*env)->SetLongArrayRegion(env, ints, 0, N_INTS, iv);
  if (!(*env)->ExceptionCheck(env)) (*env)->SetFloatArrayRegion(env, floats, 0, N_FLOATS, fv);
}

struct token_ctx {
  JNIEnv *env;
  jobject stream;
  int stopped; /* a Java exception is pending, or the listener said stop */
  int foreign; /* the library called back on a thread other than the caller's */
};

static int on_token(const dsi_token_event *ev, void *user) {
  struct token_ctx *g = user;
  if (g->stopped) return 0;
  JNIEnv *env = dj_same_thread(g->env);
  if (!env) {
    g->foreign = g->stopped = 1;
    return 0;
  }
  if ((*env)->ExceptionCheck(env)) {
    g->stopped = 1;
    return 0;
  }
  /* A frame per event: the arrays made here are released at once, not when generate returns. */
  if ((*env)->PushLocalFrame(env, 8) != 0) {
    g->stopped = 1;
    return 0;
  }
  jboolean go = JNI_FALSE;
  jintArray top_ids = NULL;
  jfloatArray top_lps = NULL;
  jbyteArray text = dj_new_bytes(env, ev->text ? ev->text : "", ev->text ? ev->text_len : 0);
  if (text && ev->n_top > 0 && ev->n_top <= INT32_MAX && ev->top_ids && ev->top_logprobs) {
    top_ids = (*env)->NewIntArray(env, (jsize)ev->n_top);
    if (top_ids) (*env)->SetIntArrayRegion(env, top_ids, 0, (jsize)ev->n_top, (const jint *)ev->top_ids);
    if (top_ids && !(*env)->ExceptionCheck(env)) top_lps = (*env)->NewFloatArray(env, (jsize)ev->n_top);
    if (top_lps) (*env)->SetFloatArrayRegion(env, top_lps, 0, (jsize)ev->n_top, ev->top_logprobs);
  }
  if (text && !(*env)->ExceptionCheck(env))
    go = (*env)->CallBooleanMethod(env, g->stream, dj_token_stream_on_token, (jint)ev->id, text, (jfloat)ev->logprob,
                                   top_ids, top_lps);
  if ((*env)->ExceptionCheck(env)) go = JNI_FALSE;
  (*env)->PopLocalFrame(env, NULL);
  if (!go) g->stopped = 1;
  return go ? 1 : 0;
}

/* The stop strings of a byte[][] as C strings; *n gets the count. Free with free_strings. */
static char **strings(JNIEnv *env, jobjectArray a, size_t *n) {
  jsize len = a ? (*env)->GetArrayLength(env, a) : 0;
  char **v = calloc(len > 0 ? (size_t)len : 1, sizeof *v);
  if (!v) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for stop strings");
    return NULL;
  }
  for (jsize i = 0; i < len; ++i) {
    jbyteArray b = (jbyteArray)(*env)->GetObjectArrayElement(env, a, i);
    if (!b) {
      if (!(*env)->ExceptionCheck(env)) dj_throw_npe(env, "stop string");
    } else {
      v[i] = dj_bytes(env, b, NULL);
      (*env)->DeleteLocalRef(env, b);
    }
    if (!v[i]) {
      for (jsize j = 0; j < i; ++j) free(v[j]);
      free(v);
      return NULL;
    }
  }
  *n = (size_t)len;
  return v;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; ++i) free(v[i]);
  free(v);
}

JNIEXPORT jdoubleArray JNICALL Java_ai_dsinfer_Native_sessionGenerate(JNIEnv *env, jclass cls, jlong session,
                                                                      jbyteArray prompt, jintArray prompt_ids,
                                                                      jlongArray ints, jfloatArray floats,
                                                                      jobjectArray stop, jobject stream) {
  (void)cls;
  if (!stream) {
    dj_throw_npe(env, "stream");
    return NULL;
  }
  if (dj_require_length(env, ints, N_INTS, "params ints") || dj_require_length(env, floats, N_FLOATS, "params floats"))
    return NULL;
  jlong iv[N_INTS];
  jfloat fv[N_FLOATS];
  (*env)->GetLongArrayRegion(env, ints, 0, N_INTS, iv);
  (*env)->GetFloatArrayRegion(env, floats, 0, N_FLOATS, fv);
  dsi_generate_params p = dsi_generate_default_params();
  p.max_tokens = (int32_t)iv[I_MAX_TOKENS];
  p.top_k = (int32_t)iv[I_TOP_K];
  p.penalty_last_n = (int32_t)iv[I_PENALTY_LAST_N];
  p.stop_at_eos = iv[I_STOP_AT_EOS] != 0;
  p.top_logprobs = (int32_t)iv[I_TOP_LOGPROBS];
  p.add_special = iv[I_ADD_SPECIAL] != 0;
  p.seed = (uint64_t)iv[I_SEED];
  p.temperature = fv[F_TEMPERATURE];
  p.top_p = fv[F_TOP_P];
  p.min_p = fv[F_MIN_P];
  p.repetition_penalty = fv[F_REPETITION];
  p.frequency_penalty = fv[F_FREQUENCY];
  p.presence_penalty = fv[F_PRESENCE];

  size_t n_stop = 0;
  char **stops = strings(env, stop, &n_stop);
  if (!stops) return NULL;
  p.stop = (const char *const *)stops;
  p.n_stop = n_stop;

  char *text = NULL;
  int32_t *ids = NULL;
  size_t len = 0;
  if (prompt) {
    text = dj_bytes(env, prompt, &len);
  } else {
    ids = dj_ints(env, prompt_ids, &len);
  }
  if (!text && !ids) {
    free_strings(stops, n_stop);
    return NULL;
  }

  struct token_ctx ctx = {env, stream, 0, 0};
  dsi_generate_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  dsi_session *s = DJ_PTR(dsi_session, session);
  dsi_status st = text ? dsi_session_generate(s, text, len, &p, on_token, &ctx, &r)
                       : dsi_session_generate_tokens(s, ids, len, &p, on_token, &ctx, &r);
  free(text);
  free(ids);
  free_strings(stops, n_stop);

  if ((*env)->ExceptionCheck(env)) return NULL;
  if (dj_check(env, st)) return NULL;
  if (ctx.foreign) {
    dj_throw(env, DSI_ERR_INTERNAL, "the library called the token callback on another thread; generation was cancelled");
    return NULL;
  }
  const jdouble v[5] = {r.n_prompt_tokens, r.n_generated, (jdouble)r.stop, r.prefill_seconds, r.decode_seconds};
  jdoubleArray out = (*env)->NewDoubleArray(env, 5);
  if (out) (*env)->SetDoubleArrayRegion(env, out, 0, 5, v);
  return out;
}
