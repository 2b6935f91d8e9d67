/* Declarations of glue.c, shared by the Go files that call it. */
#ifndef DSINFER_GO_GLUE_H
#define DSINFER_GO_GLUE_H

#include <stdint.h>

#include "dsinfer.h"

void dsigo_set_progress(dsi_model_params *p, uintptr_t handle);
dsi_status dsigo_generate(dsi_session *s, const char *prompt, size_t len, const dsi_generate_params *p,
                          uintptr_t handle, dsi_generate_result *r);
dsi_status dsigo_generate_tokens(dsi_session *s, const int32_t *ids, size_t n, const dsi_generate_params *p,
                                 uintptr_t handle, dsi_generate_result *r);
const char *dsigo_library_path(void);

#endif
