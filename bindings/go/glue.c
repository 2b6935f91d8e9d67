/* The C half of the cgo glue. It lives in a .c file because a Go file with //export may
 * only declare C functions in its preamble. Handles travel to C as uintptr_t and come back
 * through `void *user` untouched, so C never holds a Go pointer. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>

#include "_cgo_export.h"
#include "glue.h"

static int token_trampoline(const dsi_token_event *ev, void *user) {
  return dsiGoOnToken((dsi_token_event *)ev, (uintptr_t)user);
}

static void progress_trampoline(float fraction, void *user) { dsiGoOnProgress(fraction, (uintptr_t)user); }

void dsigo_set_progress(dsi_model_params *p, uintptr_t handle) {
  p->progress = progress_trampoline;
  p->progress_user = (void *)handle;
}

dsi_status dsigo_generate(dsi_session *s, const char *prompt, size_t len, const dsi_generate_params *p,
                          uintptr_t handle, dsi_generate_result *r) {
  return dsi_session_generate(s, prompt, len, p, token_trampoline, (void *)handle, r);
}

dsi_status dsigo_generate_tokens(dsi_session *s, const int32_t *ids, size_t n, const dsi_generate_params *p,
                                 uintptr_t handle, dsi_generate_result *r) {
  return dsi_session_generate_tokens(s, ids, n, p, token_trampoline, (void *)handle, r);
}

/* The version string is static data inside the library, so its address names the file the
 * loader actually picked (a function address could be a PLT stub in the executable). */
const char *dsigo_library_path(void) {
  Dl_info info;
  if (!dladdr((const void *)dsi_version_string(), &info) || !info.dli_fname) return "";
  return info.dli_fname;
}
