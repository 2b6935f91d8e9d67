/* An outside program built against an installed dsinfer (find_package or pkg-config). */
#include <stdio.h>
#include <string.h>

#include <dsinfer.h>

int main(void) {
  dsi_model *model = NULL;
  dsi_session *session = NULL;
  if (dsi_model_load_builtin(NULL, &model) != DSI_OK || dsi_session_create(model, NULL, &session) != DSI_OK) {
    fprintf(stderr, "error: %s\n", dsi_last_error());
    return 1;
  }
  dsi_generate_params p = dsi_generate_default_params();
  p.max_tokens = 4;
  dsi_generate_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  const dsi_status st = dsi_session_generate(session, "hi", 2, &p, NULL, NULL, &r);
  printf("dsinfer %s: status %s, %d tokens\n", dsi_version_string(), dsi_status_name(st), r.n_generated);
  dsi_session_free(session);
  dsi_model_free(model);
  return st == DSI_OK && r.n_generated == 4 ? 0 : 1;
}
