package ai.dsinfer;

/**
 * The JNI glue's entry points (src/main/c), one per C ABI call or a short fixed sequence of
 * them. Each throws DsinferException for a failed status. Pointers arrive as longs and are
 * passed on unchecked, so only Handle's acquire() may supply them. Text crosses as UTF-8
 * byte arrays (see Strings).
 */
final class Native {
  private static final DsinferException LOAD_FAILURE = LibraryLoader.load();

  private Native() {}

  /** Throws (a fresh exception each time, the original as its cause) when the libraries are unusable. */
  static void check() {
    if (LOAD_FAILURE != null) {
      throw new DsinferException(LOAD_FAILURE.status(), LOAD_FAILURE.detail(), LOAD_FAILURE);
    }
  }

  static native int abiVersion();

  static native byte[] versionString();

  // model
  static native long modelLoad(byte[] path, int threads, ProgressRelay progress);

  static native long modelLoadBuiltin(int threads, ProgressRelay progress);

  static native void modelFree(long model);

  /** Fills out[0..6] (n_vocab .. cache_bytes_per_token) and returns the architecture. */
  static native byte[] modelInfo(long model, long[] out);

  static native long modelTokenizer(long model);

  // tokenizer
  static native long tokenizerLoad(byte[] path);

  static native void tokenizerFree(long tokenizer);

  static native int[] tokenize(long tokenizer, byte[] text, boolean addSpecial, boolean parseSpecial);

  static native byte[] detokenize(long tokenizer, int[] ids, boolean skipSpecial);

  /** Fills out[0] = BOS, out[1] = EOS. */
  static native void tokenizerSpecialIds(long tokenizer, int[] out);

  static native int tokenizerVocabSize(long tokenizer);

  static native byte[] chatTemplate(long tokenizer, byte[][] roles, byte[][] contents, boolean addGenerationPrompt);

  // session
  static native long sessionCreate(long model, int nCtx);

  static native void sessionFree(long session);

  static native void sessionPrefill(long session, int[] ids);

  static native void sessionDecode(long session, int id);

  static native float[] sessionLogits(long session);

  static native int sessionNPast(long session);

  /** Fills the packed arrays in GenerateParams' order from dsi_generate_default_params(). */
  static native void generateDefaults(long[] ints, float[] floats);

  /**
   * dsi_session_generate when prompt is not null, else dsi_session_generate_tokens. Returns
   * {n_prompt_tokens, n_generated, stop, prefill_seconds, decode_seconds}.
   */
  static native double[] sessionGenerate(long session, byte[] prompt, int[] promptIds, long[] ints, float[] floats,
      byte[][] stop, TokenStream stream);

  // cache
  static native long cacheGet(long session);

  static native void cacheFree(long cache);

  static native long cacheBytesPerToken(long cache);

  static native int cacheTokens(long cache);

  static native void cacheTruncate(long cache, int n);

  static native void cacheCopy(long src, long dst, int n);

  static native void cacheSave(long cache, byte[] path);

  static native void cacheLoad(long cache, byte[] path);

  // router
  static native long routerGet(long session);

  static native void routerFree(long router);

  /** Fills out[0..3] = n_layers, n_experts, top_k, last_tokens. */
  static native void routerInfo(long router, int[] out);

  /** The number of choices; when that exceeds the arrays, nothing is written and the caller retries with room. */
  static native int routerLastChoice(long router, int layer, int token, int[] experts, float[] weights);

  /** The number of experts; when that exceeds counts, nothing is written and the caller retries with room. */
  static native int routerExpertCounts(long router, int layer, long[] counts);

  static native void routerSetTopK(long router, int k);
}
