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

/* ---- handles ------------------------------------------------------------------------
 * Every handle is created by a dsi_*_create / _load / _get function and released by the
 * matching dsi_*_free, which accepts NULL. A dsi_cache or dsi_router handle keeps its
 * session's state alive, so handles may be freed in any order. A model and a tokenizer
 * may be used from many threads at once; a session (and its cache and router) from one
 * thread at a time. */
typedef struct dsi_model dsi_model;
typedef struct dsi_tokenizer dsi_tokenizer;
typedef struct dsi_session dsi_session;
typedef struct dsi_cache dsi_cache;
typedef struct dsi_router dsi_router;

/* ---- model --------------------------------------------------------------------------- */
typedef void (*dsi_progress_fn)(float fraction, void *user);

typedef struct dsi_model_params {
  size_t struct_size;        /* sizeof(dsi_model_params), set by dsi_model_default_params */
  int32_t n_threads;         /* compute threads; 0 = physical cores */
  dsi_progress_fn progress;  /* may be NULL; called with 0..1 while loading */
  void *progress_user;
} dsi_model_params;

DSI_API dsi_model_params dsi_model_default_params(void);

/* Loads a GGUF file or a Hugging Face directory (config.json + safetensors). params may be
 * NULL for defaults. Free the model with dsi_model_free. */
DSI_API dsi_status dsi_model_load(const char *path, const dsi_model_params *params, dsi_model **out);
/* The built-in default model (tiny, random weights: for smoke tests). Free with dsi_model_free. */
DSI_API dsi_status dsi_model_load_builtin(const dsi_model_params *params, dsi_model **out);
DSI_API void dsi_model_free(dsi_model *model);

typedef struct dsi_model_info {
  size_t struct_size;               /* set by the caller to sizeof(dsi_model_info) */
  int32_t n_vocab;
  int32_t n_layers;
  int32_t n_heads;
  int32_t n_ctx_train;              /* 0 when the file does not say */
  int32_t n_experts;                /* routed experts; 0 for a dense model */
  int32_t n_experts_per_token;
  int64_t cache_bytes_per_token;
  char architecture[32];            /* NUL-terminated, e.g. "deepseek2" */
} dsi_model_info;

DSI_API dsi_status dsi_model_get_info(const dsi_model *model, dsi_model_info *out);
/* The tokenizer the model's files carry; DSI_ERR_UNSUPPORTED when they carry none. Free
 * with dsi_tokenizer_free (the model may be freed first). */
DSI_API dsi_status dsi_model_get_tokenizer(const dsi_model *model, dsi_tokenizer **out);

/* ---- tokenizer ----------------------------------------------------------------------- */
/* A GGUF file, a Hugging Face directory, or a tokenizer.json (tokenizer_config.json beside
 * it is read when present). Free with dsi_tokenizer_free. */
DSI_API dsi_status dsi_tokenizer_load(const char *path, dsi_tokenizer **out);
DSI_API void dsi_tokenizer_free(dsi_tokenizer *tokenizer);

/* Token ids of text (UTF-8, len bytes). add_special: BOS/EOS as the tokenizer says;
 * parse_special: special-token strings in the text become their ids. *n_out gets the
 * number of ids even when cap is too small (then DSI_ERR_BUFFER_TOO_SMALL). */
DSI_API dsi_status dsi_tokenize(const dsi_tokenizer *tokenizer, const char *text, size_t len, int add_special,
                                int parse_special, int32_t *ids, size_t cap, size_t *n_out);
/* Text of ids, NUL-terminated. *len_out gets the text length (without the NUL) even when
 * cap is too small (then DSI_ERR_BUFFER_TOO_SMALL; cap must be at least len + 1). */
DSI_API dsi_status dsi_detokenize(const dsi_tokenizer *tokenizer, const int32_t *ids, size_t n, int skip_special,
                                  char *buf, size_t cap, size_t *len_out);
/* BOS and EOS ids (-1 when the tokenizer has none); either pointer may be NULL. */
DSI_API dsi_status dsi_tokenizer_special_ids(const dsi_tokenizer *tokenizer, int32_t *bos, int32_t *eos);
DSI_API dsi_status dsi_tokenizer_vocab_size(const dsi_tokenizer *tokenizer, int32_t *out);

typedef struct dsi_chat_message {
  const char *role;     /* "system", "user", "assistant", ... (UTF-8, NUL-terminated) */
  const char *content;
} dsi_chat_message;

/* Renders the tokenizer's own chat template (a sandboxed, bounded Jinja interpreter) for n
 * messages, NUL-terminated into buf. *len_out gets the length even when cap is too small
 * (then DSI_ERR_BUFFER_TOO_SMALL). DSI_ERR_UNSUPPORTED when the tokenizer has no template. */
DSI_API dsi_status dsi_chat_template_apply(const dsi_tokenizer *tokenizer, const dsi_chat_message *messages, size_t n,
                                           int add_generation_prompt, char *buf, size_t cap, size_t *len_out);

/* ---- session ------------------------------------------------------------------------- */
typedef struct dsi_session_params {
  size_t struct_size;      /* set by dsi_session_default_params */
  int32_t n_ctx;           /* context length in tokens (default 4096) */
  int32_t prefill_chunk;   /* prompt tokens per forward call (default 256) */
} dsi_session_params;

DSI_API dsi_session_params dsi_session_default_params(void);
/* A session on a model (the session keeps the model alive). Free with dsi_session_free. */
DSI_API dsi_status dsi_session_create(dsi_model *model, const dsi_session_params *params, dsi_session **out);
DSI_API void dsi_session_free(dsi_session *session);

/* Appends tokens to the context. A prompt that does not fit is DSI_ERR_INVALID_ARGUMENT. */
DSI_API dsi_status dsi_session_prefill(dsi_session *session, const int32_t *ids, size_t n);
DSI_API dsi_status dsi_session_decode(dsi_session *session, int32_t id);
/* Logits after the last token fed: *logits stays valid until the next call on the session. */
DSI_API dsi_status dsi_session_logits(const dsi_session *session, const float **logits, size_t *n);
DSI_API dsi_status dsi_session_n_past(const dsi_session *session, int32_t *out);

typedef struct dsi_generate_params {
  size_t struct_size;           /* set by dsi_generate_default_params */
  int32_t max_tokens;           /* default 256 */
  float temperature;            /* 0 = greedy; default 0.8 */
  int32_t top_k;                /* 0 = off; default 40 */
  float top_p;                  /* 1 = off; default 0.95 */
  float min_p;                  /* 0 = off; default 0.05 */
  float repetition_penalty;     /* 1 = off */
  float frequency_penalty;
  float presence_penalty;
  int32_t penalty_last_n;       /* default 64 */
  uint64_t seed;                /* same seed + same inputs = same tokens */
  const char *const *stop;      /* n_stop stop strings (UTF-8, NUL-terminated); may be NULL */
  size_t n_stop;
  int stop_at_eos;              /* default 1 */
  int32_t top_logprobs;         /* alternatives reported per token; default 0 */
  int add_special;              /* text prompts into an empty session get BOS; default 1 */
} dsi_generate_params;

DSI_API dsi_generate_params dsi_generate_default_params(void);

typedef struct dsi_token_event {
  int32_t id;                   /* -1 for a final flush of held-back text */
  const char *text;             /* text that became final (may be empty); valid during the call */
  size_t text_len;
  float logprob;
  const int32_t *top_ids;       /* top_logprobs alternatives, best first */
  const float *top_logprobs;
  size_t n_top;
} dsi_token_event;

/* Called for each generated token; return 0 to cancel, anything else to go on. After a
 * cancel there are no further calls. The cancelled token counts in n_generated but is not
 * fed to the context (n_past is one less than prompt + n_generated). A callback runs on
 * the thread that called generate, between forward passes: cancelling takes effect at the
 * next token, not inside a prefill. */
typedef int (*dsi_token_fn)(const dsi_token_event *event, void *user);

typedef enum dsi_stop_reason {
  DSI_STOP_EOS = 0,
  DSI_STOP_STRING = 1,
  DSI_STOP_MAX_TOKENS = 2,
  DSI_STOP_CONTEXT_FULL = 3,
  DSI_STOP_CANCELLED = 4
} dsi_stop_reason;

typedef struct dsi_generate_result {
  size_t struct_size;           /* set by the caller to sizeof(dsi_generate_result) */
  int32_t n_prompt_tokens;
  int32_t n_generated;
  dsi_stop_reason stop;
  double prefill_seconds;
  double decode_seconds;
} dsi_generate_result;

/* Generates from a text prompt (needs the model's tokenizer), streaming through on_token
 * (may be NULL). params and result may be NULL. */
DSI_API dsi_status dsi_session_generate(dsi_session *session, const char *prompt, size_t prompt_len,
                                        const dsi_generate_params *params, dsi_token_fn on_token, void *user,
                                        dsi_generate_result *result);
DSI_API dsi_status dsi_session_generate_tokens(dsi_session *session, const int32_t *prompt, size_t n,
                                               const dsi_generate_params *params, dsi_token_fn on_token, void *user,
                                               dsi_generate_result *result);

/* ---- MLA cache ----------------------------------------------------------------------- */
/* The session's cache (keeps the session's state alive). Free with dsi_cache_free. */
DSI_API dsi_status dsi_session_get_cache(dsi_session *session, dsi_cache **out);
DSI_API void dsi_cache_free(dsi_cache *cache);
DSI_API dsi_status dsi_cache_bytes_per_token(const dsi_cache *cache, int64_t *out);
DSI_API dsi_status dsi_cache_n_tokens(const dsi_cache *cache, int32_t *out);
/* Drops every position >= n. */
DSI_API dsi_status dsi_cache_truncate(dsi_cache *cache, int32_t n);
/* Replaces dst's contents with the first n positions of src (same model). */
DSI_API dsi_status dsi_cache_copy(const dsi_cache *src, dsi_cache *dst, int32_t n);
DSI_API dsi_status dsi_cache_save(const dsi_cache *cache, const char *path);
/* Refuses a file written for another model. */
DSI_API dsi_status dsi_cache_load(dsi_cache *cache, const char *path);

/* ---- MoE router ---------------------------------------------------------------------- */
/* The session's router record (keeps the session's state alive). Free with dsi_router_free. */
DSI_API dsi_status dsi_session_get_router(dsi_session *session, dsi_router **out);
DSI_API void dsi_router_free(dsi_router *router);
/* Any pointer may be NULL. last_tokens: tokens of the last forward call. */
DSI_API dsi_status dsi_router_info(const dsi_router *router, int32_t *n_layers, int32_t *n_experts, int32_t *top_k,
                                   int32_t *last_tokens);
/* Experts chosen for token `token` of the last forward call at `layer`, best first; *n_out
 * is 0 for a dense layer. */
DSI_API dsi_status dsi_router_last_choice(const dsi_router *router, int32_t layer, int32_t token, int32_t *experts,
                                          float *weights, size_t cap, size_t *n_out);
/* Tokens routed to each expert of `layer` since the session began. */
DSI_API dsi_status dsi_router_expert_counts(const dsi_router *router, int32_t layer, uint64_t *counts, size_t cap,
                                            size_t *n_out);
/* Experts per token from now on (0 restores the model's own number). */
DSI_API dsi_status dsi_router_set_top_k(dsi_router *router, int32_t k);

#ifdef __cplusplus
}
#endif

#endif /* DSINFER_H */
