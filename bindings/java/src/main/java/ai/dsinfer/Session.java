package ai.dsinfer;

import java.util.Objects;

/**
 * A conversation's state on a model: its own MLA cache and router record. Calls from several
 * threads are serialized (the library allows one at a time); a listener may not call back
 * into its own session. close() from another thread during generate cancels the generation
 * and frees the session once it has returned. Errors as described on {@link Model}.
 */
public final class Session implements AutoCloseable {
  /** The library's default context length. */
  public static final int DEFAULT_N_CTX = 4096;

  private final Handle handle;
  final SessionLock lock = new SessionLock();

  public Session(Model model) {
    this(model, DEFAULT_N_CTX);
  }

  /** nCtx: the context length in tokens (cache memory grows as it fills, not up front). */
  public Session(Model model, int nCtx) {
    Objects.requireNonNull(model, "model");
    long m = model.handle.acquire();
    try {
      handle = new Handle(this, "Session", Native.sessionCreate(m, nCtx), Native::sessionFree);
    } finally {
      model.handle.release();
    }
  }

  /** Appends tokens to the context; tokens that do not fit are an INVALID_ARGUMENT. */
  public void prefill(int[] ids) {
    Objects.requireNonNull(ids, "ids");
    long p = enter();
    try {
      Native.sessionPrefill(p, ids);
    } finally {
      exit();
    }
  }

  public void decode(int id) {
    long p = enter();
    try {
      Native.sessionDecode(p, id);
    } finally {
      exit();
    }
  }

  /** A copy of the logits after the last token fed (n_vocab values). */
  public float[] logits() {
    long p = enter();
    try {
      return Native.sessionLogits(p);
    } finally {
      exit();
    }
  }

  /** Tokens in the context. */
  public int nPast() {
    long p = enter();
    try {
      return Native.sessionNPast(p);
    } finally {
      exit();
    }
  }

  public GenerateResult generate(String prompt) {
    return generate(prompt, GenerateParams.defaults());
  }

  public GenerateResult generate(String prompt, GenerateParams params) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(params, "params");
    return run(Strings.utf8(prompt), null, params, null);
  }

  /**
   * Generates from a text prompt appended to the context (an empty prompt continues from it),
   * streaming to listener. A listener exception cancels and is rethrown here. Special-token
   * strings in the prompt become special tokens (the C ABI offers no switch); for untrusted
   * text, encode it with {@link Tokenizer#encode(String)} and pass the ids instead.
   */
  public GenerateResult generate(String prompt, GenerateParams params, TokenListener listener) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(listener, "listener");
    return run(Strings.utf8(prompt), null, params, listener);
  }

  /** Generates from prompt token ids (may be empty to continue). */
  public GenerateResult generate(int[] prompt, GenerateParams params, TokenListener listener) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(listener, "listener");
    return run(null, prompt.clone(), params, listener);
  }

  private GenerateResult run(byte[] text, int[] ids, GenerateParams params, TokenListener listener) {
    byte[][] stop = params.packedStop();
    TokenStream stream = new TokenStream(listener, handle);
    double[] r;
    long p = enter();
    try {
      r = Native.sessionGenerate(p, text, ids, params.packedInts(), params.packedFloats(), stop, stream);
      stream.finish();
    } catch (DsinferException e) {
      // The listener's failure explains the library's, not the other way round.
      if (stream.failure() == null) throw e;
      stream.failure().addSuppressed(e);
      throw Rethrow.unchecked(stream.failure());
    } finally {
      exit();
    }
    if (stream.failure() != null) throw Rethrow.unchecked(stream.failure());
    return new GenerateResult(stream.ids(), stream.text(), StopReason.of((int) r[2]), (int) r[0], (int) r[1], r[3], r[4]);
  }

  /** The session's MLA cache (close it when done; it stays usable after the session is closed). */
  public Cache cache() {
    long p = enter();
    try {
      return new Cache(Native.cacheGet(p), lock);
    } finally {
      exit();
    }
  }

  /** The session's router record (close it when done; it stays usable after the session is closed). */
  public Router router() {
    long p = enter();
    try {
      return new Router(Native.routerGet(p), lock);
    } finally {
      exit();
    }
  }

  @Override
  public void close() {
    handle.close();
  }

  private long enter() {
    lock.enter();
    try {
      return handle.acquire();
    } catch (RuntimeException e) {
      lock.exit();
      throw e;
    }
  }

  private void exit() {
    handle.release();
    lock.exit();
  }
}
