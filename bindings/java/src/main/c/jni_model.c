/* JNI glue: the library's version, models and tokenizers. */
#include <stdlib.h>
#include <string.h>

#include "ai_dsinfer_Native.h"
#include "jni_common.h"

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_abiVersion(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return (jint)dsi_abi_version();
}

JNIEXPORT jbyteArray JNICALL Java_ai_dsinfer_Native_versionString(JNIEnv *env, jclass cls) {
  (void)cls;
  const char *v = dsi_version_string();
  return dj_new_bytes(env, v, strlen(v));
}

/* ---- model ---- */

struct progress_ctx {
  JNIEnv *env;
  jobject relay;
  int stopped; /* an exception is pending, or a call came from another thread */
};

/* The relay swallows the listener's exceptions; one escaping anyway (a StackOverflowError,
 * say) stays pending, and nothing more is called until the library returns. */
static void on_progress(float fraction, void *user) {
  struct progress_ctx *p = user;
  if (p->stopped) return;
  JNIEnv *env = dj_same_thread(p->env);
  if (!env || (*env)->ExceptionCheck(env)) {
    p->stopped = 1;
    return;
  }
  (*env)->CallVoidMethod(env, p->relay, dj_progress_on_progress, (jfloat)fraction);
  if ((*env)->ExceptionCheck(env)) p->stopped = 1;
}

static jlong load(JNIEnv *env, jbyteArray path, jint threads, jobject relay) {
  char *cpath = NULL;
  if (path && !(cpath = dj_bytes(env, path, NULL))) return 0;
  struct progress_ctx ctx = {env, relay, 0};
  dsi_model_params mp = dsi_model_default_params();
  mp.n_threads = threads;
  if (relay) {
    mp.progress = on_progress;
    mp.progress_user = &ctx;
  }
  dsi_model *model = NULL;
  dsi_status st = cpath ? dsi_model_load(cpath, &mp, &model) : dsi_model_load_builtin(&mp, &model);
  free(cpath);
  if ((*env)->ExceptionCheck(env)) {
    dsi_model_free(model);
    return 0;
  }
  if (dj_check(env, st)) return 0;
  return DJ_HANDLE(model);
}

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_modelLoad(JNIEnv *env, jclass cls, jbyteArray path, jint threads,
                                                         jobject relay) {
  (void)cls;
  if (!path) {
    dj_throw_npe(env, "path");
    return 0;
  }
  return load(env, path, threads, relay);
}

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_modelLoadBuiltin(JNIEnv *env, jclass cls, jint threads, jobject relay) {
  (void)cls;
  return load(env, NULL, threads, relay);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_modelFree(JNIEnv *env, jclass cls, jlong model) {
  (void)env;
  (void)cls;
  dsi_model_free(DJ_PTR(dsi_model, model));
}

JNIEXPORT jbyteArray JNICALL Java_ai_dsinfer_Native_modelInfo(JNIEnv *env, jclass cls, jlong model, jlongArray out) {
  (void)cls;
  if (dj_require_length(env, out, 7, "model info array")) return NULL;
  dsi_model_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  if (dj_check(env, dsi_model_get_info(DJ_PTR(dsi_model, model), &info))) return NULL;
  const jlong v[7] = {info.n_vocab,     info.n_layers,           info.n_heads,
                      info.n_ctx_train, info.n_experts,          info.n_experts_per_token,
                      info.cache_bytes_per_token};
  (*env)->SetLongArrayRegion(env, out, 0, 7, v);
  if ((*env)->ExceptionCheck(env)) return NULL;
  info.architecture[sizeof info.architecture - 1] = '\0';
  return dj_new_bytes(env, info.architecture, strlen(info.architecture));
}

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_modelTokenizer(JNIEnv *env, jclass cls, jlong model) {
  (void)cls;
  dsi_tokenizer *t = NULL;
  if (dj_check(env, dsi_model_get_tokenizer(DJ_PTR(dsi_model, model), &t))) return 0;
  return DJ_HANDLE(t);
}

/* ---- tokenizer ---- */

JNIEXPORT jlong JNICALL Java_ai_dsinfer_Native_tokenizerLoad(JNIEnv *env, jclass cls, jbyteArray path) {
  (void)cls;
  char *cpath = dj_bytes(env, path, NULL);
  if (!cpath) return 0;
  dsi_tokenizer *t = NULL;
  dsi_status st = dsi_tokenizer_load(cpath, &t);
  free(cpath);
  if (dj_check(env, st)) return 0;
  return DJ_HANDLE(t);
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_tokenizerFree(JNIEnv *env, jclass cls, jlong tokenizer) {
  (void)env;
  (void)cls;
  dsi_tokenizer_free(DJ_PTR(dsi_tokenizer, tokenizer));
}

JNIEXPORT jintArray JNICALL Java_ai_dsinfer_Native_tokenize(JNIEnv *env, jclass cls, jlong tokenizer, jbyteArray text,
                                                            jboolean add_special, jboolean parse_special) {
  (void)cls;
  const dsi_tokenizer *t = DJ_PTR(dsi_tokenizer, tokenizer);
  size_t len = 0;
  char *ctext = dj_bytes(env, text, &len);
  if (!ctext) return NULL;
  /* A first guess that fits byte-level vocabularies; the library says when it needs more. */
  size_t cap = len + 8, n = 0;
  int32_t *ids = malloc(cap * sizeof(int32_t));
  dsi_status st = ids ? dsi_tokenize(t, ctext, len, add_special, parse_special, ids, cap, &n) : DSI_ERR_OUT_OF_MEMORY;
  if (st == DSI_ERR_BUFFER_TOO_SMALL) {
    free(ids);
    cap = n;
    ids = malloc(cap * sizeof(int32_t));
    st = ids ? dsi_tokenize(t, ctext, len, add_special, parse_special, ids, cap, &n) : DSI_ERR_OUT_OF_MEMORY;
  }
  free(ctext);
  jintArray out = NULL;
  if (!ids) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for token ids");
  } else if (!dj_check(env, st)) {
    if (n > INT32_MAX) {
      dj_throw(env, DSI_ERR_TOO_LARGE, "more ids than a Java array can hold");
    } else if ((out = (*env)->NewIntArray(env, (jsize)n)) != NULL) {
      (*env)->SetIntArrayRegion(env, out, 0, (jsize)n, (const jint *)ids);
    }
  }
  free(ids);
  return out;
}

/* Calls a "text into caller's buffer, *len_out gets the length" function twice at most: a
 * first guess, then the size it asked for. */
typedef dsi_status (*text_fn)(void *args, char *buf, size_t cap, size_t *len_out);

static jbyteArray text_call(JNIEnv *env, text_fn fn, void *args, size_t guess) {
  size_t cap = guess, len = 0;
  char *buf = malloc(cap);
  dsi_status st = buf ? fn(args, buf, cap, &len) : DSI_ERR_OUT_OF_MEMORY;
  if (st == DSI_ERR_BUFFER_TOO_SMALL) {
    free(buf);
    cap = len + 1;
    buf = cap > len ? malloc(cap) : NULL;
    st = buf ? fn(args, buf, cap, &len) : DSI_ERR_OUT_OF_MEMORY;
  }
  jbyteArray out = NULL;
  if (!buf)
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for text");
  else if (!dj_check(env, st))
    out = dj_new_bytes(env, buf, len);
  free(buf);
  return out;
}

struct detok_args {
  const dsi_tokenizer *t;
  const int32_t *ids;
  size_t n;
  int skip_special;
};

static dsi_status detok(void *p, char *buf, size_t cap, size_t *len_out) {
  struct detok_args *a = p;
  return dsi_detokenize(a->t, a->ids, a->n, a->skip_special, buf, cap, len_out);
}

JNIEXPORT jbyteArray JNICALL Java_ai_dsinfer_Native_detokenize(JNIEnv *env, jclass cls, jlong tokenizer, jintArray ids,
                                                               jboolean skip_special) {
  (void)cls;
  size_t n = 0;
  int32_t *cids = dj_ints(env, ids, &n);
  if (!cids) return NULL;
  struct detok_args a = {DJ_PTR(dsi_tokenizer, tokenizer), cids, n, skip_special};
  jbyteArray out = text_call(env, detok, &a, 16 * n + 64);
  free(cids);
  return out;
}

JNIEXPORT void JNICALL Java_ai_dsinfer_Native_tokenizerSpecialIds(JNIEnv *env, jclass cls, jlong tokenizer,
                                                                  jintArray out) {
  (void)cls;
  if (dj_require_length(env, out, 2, "special ids array")) return;
  int32_t v[2] = {-1, -1};
  if (dj_check(env, dsi_tokenizer_special_ids(DJ_PTR(dsi_tokenizer, tokenizer), &v[0], &v[1]))) return;
  (*env)->SetIntArrayRegion(env, out, 0, 2, (const jint *)v);
}

JNIEXPORT jint JNICALL Java_ai_dsinfer_Native_tokenizerVocabSize(JNIEnv *env, jclass cls, jlong tokenizer) {
  (void)cls;
  int32_t n = 0;
  dj_check(env, dsi_tokenizer_vocab_size(DJ_PTR(dsi_tokenizer, tokenizer), &n));
  return n;
}

struct template_args {
  const dsi_tokenizer *t;
  const dsi_chat_message *messages;
  size_t n;
  int add_generation_prompt;
};

static dsi_status render(void *p, char *buf, size_t cap, size_t *len_out) {
  struct template_args *a = p;
  return dsi_chat_template_apply(a->t, a->messages, a->n, a->add_generation_prompt, buf, cap, len_out);
}

/* Copies element i of a byte[][] to a C string; NULL with an exception pending on failure. */
static char *element(JNIEnv *env, jobjectArray a, jsize i) {
  jbyteArray b = (jbyteArray)(*env)->GetObjectArrayElement(env, a, i);
  if (!b) {
    if (!(*env)->ExceptionCheck(env)) dj_throw_npe(env, "array element");
    return NULL;
  }
  char *s = dj_bytes(env, b, NULL);
  (*env)->DeleteLocalRef(env, b);
  return s;
}

JNIEXPORT jbyteArray JNICALL Java_ai_dsinfer_Native_chatTemplate(JNIEnv *env, jclass cls, jlong tokenizer,
                                                                 jobjectArray roles, jobjectArray contents,
                                                                 jboolean add_generation_prompt) {
  (void)cls;
  if (!roles || !contents) {
    dj_throw_npe(env, "messages");
    return NULL;
  }
  jsize n = (*env)->GetArrayLength(env, roles);
  if (dj_require_length(env, contents, n, "contents array")) return NULL;
  dsi_chat_message *msgs = calloc(n > 0 ? (size_t)n : 1, sizeof *msgs);
  if (!msgs) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory for messages");
    return NULL;
  }
  jbyteArray out = NULL;
  jsize filled = 0;
  for (; filled < n; ++filled) {
    char *role = element(env, roles, filled);
    char *content = role ? element(env, contents, filled) : NULL;
    msgs[filled].role = role;
    msgs[filled].content = content;
    if (!content) {
      ++filled; /* so the role is freed too */
      goto out;
    }
  }
  {
    size_t guess = 256;
    for (jsize i = 0; i < n; ++i) guess += strlen(msgs[i].role) + strlen(msgs[i].content) + 32;
    struct template_args a = {DJ_PTR(dsi_tokenizer, tokenizer), msgs, (size_t)n, add_generation_prompt};
    out = text_call(env, render, &a, guess);
  }
out:
  for (jsize i = 0; i < filled; ++i) {
    free((char *)msgs[i].role);
    free((char *)msgs[i].content);
  }
  free(msgs);
  return out;
}
