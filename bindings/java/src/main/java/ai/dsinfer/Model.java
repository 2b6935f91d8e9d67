package ai.dsinfer;

import java.util.List;
import java.util.Objects;

/**
 * A loaded model: immutable weights, shareable by any number of threads and sessions. A
 * session keeps the model's memory alive, so the Model may be closed while sessions run.
 *
 * <p>Errors across the binding: a null argument is a NullPointerException; a call on a closed
 * handle is an IllegalStateException; anything the library refuses is a DsinferException with
 * its status and message. close() may be called any number of times from any thread.
 */
public final class Model implements AutoCloseable {
  final Handle handle;

  private Model(long ptr) {
    handle = new Handle(this, "Model", ptr, Native::modelFree);
  }

  /** Loads a GGUF file or a Hugging Face directory with one compute thread per physical core. */
  public static Model load(String path) {
    return load(path, 0);
  }

  /** threads: compute threads, 0 = physical cores. */
  public static Model load(String path, int threads) {
    Objects.requireNonNull(path, "path");
    return loadWith(path, threads, null);
  }

  public static Model load(String path, int threads, ProgressListener progress) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(progress, "progress");
    return loadWith(path, threads, new ProgressRelay(progress));
  }

  /** The built-in tiny model with random weights: output is noise, for smoke tests. */
  public static Model builtin() {
    return builtin(0);
  }

  public static Model builtin(int threads) {
    return loadWith(null, threads, null);
  }

  private static Model loadWith(String path, int threads, ProgressRelay relay) {
    Native.check();
    long ptr = path != null
        ? Native.modelLoad(Strings.cString(path, "the model path"), threads, relay)
        : Native.modelLoadBuiltin(threads, relay);
    Model model = new Model(ptr);
    if (relay != null && relay.failure() != null) {
      model.close();
      throw Rethrow.unchecked(relay.failure());
    }
    return model;
  }

  public ModelInfo info() {
    long[] v = new long[7];
    byte[] arch;
    long p = handle.acquire();
    try {
      arch = Native.modelInfo(p, v);
    } finally {
      handle.release();
    }
    return new ModelInfo((int) v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4], (int) v[5], v[6],
        Strings.fromUtf8(arch));
  }

  /** The tokenizer the model's files carry (close it when done); UNSUPPORTED when they carry none. */
  public Tokenizer tokenizer() {
    long p = handle.acquire();
    try {
      return new Tokenizer(Native.modelTokenizer(p));
    } finally {
      handle.release();
    }
  }

  /** The model's own chat template rendered for messages; UNSUPPORTED when it has none. */
  public String chatTemplate(List<Message> messages, boolean addGenerationPrompt) {
    Objects.requireNonNull(messages, "messages");
    try (Tokenizer t = tokenizer()) {
      return t.chatTemplate(messages, addGenerationPrompt);
    }
  }

  @Override
  public void close() {
    handle.close();
  }
}
