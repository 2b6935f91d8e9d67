/* Load-time set-up and the helpers every glue file uses (see jni_common.h). */
#include "jni_common.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(jint) == sizeof(int32_t), "jint is the C ABI's int32_t");
_Static_assert(sizeof(jlong) >= sizeof(void *), "a pointer fits in a jlong");
_Static_assert(sizeof(jfloat) == sizeof(float), "jfloat is float");

jclass dj_exception_class;
jmethodID dj_exception_from_native;
jmethodID dj_token_stream_on_token;
jmethodID dj_progress_on_progress;
JavaVM *dj_vm;

static jmethodID method(JNIEnv *env, const char *class_name, const char *name, const char *sig, int is_static,
                        jclass *keep) {
  jclass c = (*env)->FindClass(env, class_name);
  if (!c) return NULL;
  jmethodID m = is_static ? (*env)->GetStaticMethodID(env, c, name, sig) : (*env)->GetMethodID(env, c, name, sig);
  if (m && keep) {
    *keep = (jclass)(*env)->NewGlobalRef(env, c);
    if (!*keep) m = NULL;
  }
  (*env)->DeleteLocalRef(env, c);
  return m;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  dj_vm = vm;
  /* Instance methods need no class reference: their objects keep their classes loaded. */
  dj_exception_from_native = method(env, "ai/dsinfer/DsinferException", "fromNative",
                                    "(I[B)Lai/dsinfer/DsinferException;", 1, &dj_exception_class);
  if (!dj_exception_from_native) return JNI_ERR;
  dj_token_stream_on_token = method(env, "ai/dsinfer/TokenStream", "onToken", "(I[BF[I[F)Z", 0, NULL);
  if (!dj_token_stream_on_token) return JNI_ERR;
  dj_progress_on_progress = method(env, "ai/dsinfer/ProgressRelay", "onProgress", "(F)V", 0, NULL);
  if (!dj_progress_on_progress) return JNI_ERR;
  return JNI_VERSION_1_8;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return;
  if (dj_exception_class) (*env)->DeleteGlobalRef(env, dj_exception_class);
  dj_exception_class = NULL;
}

static void throw_message(JNIEnv *env, dsi_status st, const char *message) {
  if ((*env)->ExceptionCheck(env)) return;
  jbyteArray bytes = dj_new_bytes(env, message, strlen(message));
  if (!bytes) return;
  jobject ex = (*env)->CallStaticObjectMethod(env, dj_exception_class, dj_exception_from_native, (jint)st, bytes);
  if (ex && !(*env)->ExceptionCheck(env)) (*env)->Throw(env, (jthrowable)ex);
  (*env)->DeleteLocalRef(env, bytes);
  if (ex) (*env)->DeleteLocalRef(env, ex);
}

int dj_check(JNIEnv *env, dsi_status st) {
  if (st == DSI_OK) return 0;
  /* dsi_last_error() stays valid until the next dsi_ call on this thread; JNI calls are not dsi_ calls. */
  throw_message(env, st, dsi_last_error());
  return 1;
}

void dj_throw(JNIEnv *env, dsi_status st, const char *message) { throw_message(env, st, message); }

void dj_throw_npe(JNIEnv *env, const char *what) {
  if ((*env)->ExceptionCheck(env)) return;
  jclass c = (*env)->FindClass(env, "java/lang/NullPointerException");
  if (c) {
    (*env)->ThrowNew(env, c, what);
    (*env)->DeleteLocalRef(env, c);
  }
}

char *dj_bytes(JNIEnv *env, jbyteArray a, size_t *len) {
  if (!a) {
    dj_throw_npe(env, "byte array");
    return NULL;
  }
  jsize n = (*env)->GetArrayLength(env, a);
  char *s = malloc((size_t)n + 1);
  if (!s) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory copying a byte array");
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)s);
  s[n] = '\0';
  if (len) *len = (size_t)n;
  return s;
}

int32_t *dj_ints(JNIEnv *env, jintArray a, size_t *n) {
  if (!a) {
    dj_throw_npe(env, "int array");
    return NULL;
  }
  jsize len = (*env)->GetArrayLength(env, a);
  int32_t *v = malloc(len > 0 ? (size_t)len * sizeof(int32_t) : 1);
  if (!v) {
    dj_throw(env, DSI_ERR_OUT_OF_MEMORY, "out of memory copying an int array");
    return NULL;
  }
  (*env)->GetIntArrayRegion(env, a, 0, len, (jint *)v);
  *n = (size_t)len;
  return v;
}

jbyteArray dj_new_bytes(JNIEnv *env, const char *s, size_t n) {
  if (n > INT32_MAX) {
    dj_throw(env, DSI_ERR_TOO_LARGE, "text longer than a Java array can hold");
    return NULL;
  }
  jbyteArray a = (*env)->NewByteArray(env, (jsize)n);
  if (a && n > 0) (*env)->SetByteArrayRegion(env, a, 0, (jsize)n, (const jbyte *)s);
  return a;
}

int dj_require_length(JNIEnv *env, jarray a, jsize n, const char *what) {
  if (!a) {
    dj_throw_npe(env, what);
    return 1;
  }
  if ((*env)->GetArrayLength(env, a) < n) {
    dj_throw(env, DSI_ERR_INVALID_ARGUMENT, what);
    return 1;
  }
  return 0;
}

JNIEnv *dj_same_thread(JNIEnv *expected) {
  JNIEnv *env = NULL;
  if ((*dj_vm)->GetEnv(dj_vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return NULL;
  return env == expected ? env : NULL;
}
