/* A host program in plain C: load a model, stream a completion, free everything.
 *   dsinfer_stream_c [MODEL_PATH] [PROMPT]
 * Without MODEL_PATH it uses the built-in default model (random weights: noise). */
#include <stdio.h>
#include <string.h>

#include "dsinfer.h"

static int print_token(const dsi_token_event *ev, void *user) {
  int *count = (int *)user;
  fwrite(ev->text, 1, ev->text_len, stdout);
  fflush(stdout);
  if (ev->id >= 0) ++*count;
  return 1; /* go on; 0 would cancel */
}

static int fail(const char *what, dsi_status st) {
  fprintf(stderr, "%s failed: %s: %s\n", what, dsi_status_name(st), dsi_last_error());
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : NULL;
  const char *prompt = argc > 2 ? argv[2] : "Once upon a time";
  dsi_model *model = NULL;
  dsi_session *session = NULL;
  dsi_status st;
  int tokens = 0, rc = 0;

  if (dsi_abi_version() != DSI_ABI_VERSION) {
    fprintf(stderr, "libdsinfer ABI %u, this program was built for %d\n", dsi_abi_version(), DSI_ABI_VERSION);
    return 1;
  }
  dsi_model_params mp = dsi_model_default_params();
  st = path ? dsi_model_load(path, &mp, &model) : dsi_model_load_builtin(&mp, &model);
  if (st != DSI_OK) return fail("loading the model", st);

  dsi_session_params sp = dsi_session_default_params();
  sp.n_ctx = 512;
  st = dsi_session_create(model, &sp, &session);
  if (st != DSI_OK) {
    rc = fail("creating a session", st);
    goto out;
  }

  dsi_generate_params gp = dsi_generate_default_params();
  gp.max_tokens = 32;
  gp.seed = 42;
  dsi_generate_result result;
  memset(&result, 0, sizeof result);
  result.struct_size = sizeof result;
  st = dsi_session_generate(session, prompt, strlen(prompt), &gp, print_token, &tokens, &result);
  if (st != DSI_OK) {
    rc = fail("generating", st);
    goto out;
  }
  printf("\n[%d prompt tokens, %d generated (%d streamed), %.1f tokens/s]\n", result.n_prompt_tokens, result.n_generated,
         tokens, result.decode_seconds > 0 ? result.n_generated / result.decode_seconds : 0.0);

out:
  dsi_session_free(session);
  dsi_model_free(model);
  return rc;
}
