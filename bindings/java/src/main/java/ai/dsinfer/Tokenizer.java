package ai.dsinfer;

import java.util.List;
import java.util.Objects;

/** A tokenizer, usable from many threads at once. Errors as described on {@link Model}. */
public final class Tokenizer implements AutoCloseable {
  private final Handle handle;

  Tokenizer(long ptr) {
    handle = new Handle(this, "Tokenizer", ptr, Native::tokenizerFree);
  }

  /** A GGUF file, a Hugging Face directory, or a tokenizer.json. */
  public static Tokenizer load(String path) {
    Objects.requireNonNull(path, "path");
    Native.check();
    return new Tokenizer(Native.tokenizerLoad(Strings.cString(path, "the tokenizer path")));
  }

  /**
   * Ids of text with BOS/EOS as the tokenizer adds them, and special-token strings in the text
   * left as plain text: the safe choice for text from users.
   */
  public int[] encode(String text) {
    return encode(text, true, false);
  }

  /** parseSpecial: special-token strings in the text ("&lt;|eot|&gt;") become their ids. */
  public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
    Objects.requireNonNull(text, "text");
    byte[] bytes = Strings.utf8(text);
    long p = handle.acquire();
    try {
      return Native.tokenize(p, bytes, addSpecial, parseSpecial);
    } finally {
      handle.release();
    }
  }

  /** Text of ids, special tokens included. Invalid UTF-8 becomes U+FFFD. */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  public String decode(int[] ids, boolean skipSpecial) {
    Objects.requireNonNull(ids, "ids");
    long p = handle.acquire();
    try {
      return Strings.fromUtf8(Native.detokenize(p, ids, skipSpecial));
    } finally {
      handle.release();
    }
  }

  /** BOS id, -1 when the tokenizer has none. */
  public int bos() {
    return specialIds()[0];
  }

  /** EOS id, -1 when the tokenizer has none. */
  public int eos() {
    return specialIds()[1];
  }

  public int vocabSize() {
    long p = handle.acquire();
    try {
      return Native.tokenizerVocabSize(p);
    } finally {
      handle.release();
    }
  }

  /** The tokenizer's chat template rendered for messages; UNSUPPORTED when it has none. */
  public String chatTemplate(List<Message> messages, boolean addGenerationPrompt) {
    // A copy: a list changed by another thread must not change size between here and C. Null elements throw.
    List<Message> msgs = List.copyOf(Objects.requireNonNull(messages, "messages"));
    byte[][] roles = new byte[msgs.size()][];
    byte[][] contents = new byte[msgs.size()][];
    int i = 0;
    for (Message m : msgs) {
      roles[i] = Strings.cString(m.role(), "a message role");
      contents[i] = Strings.cString(m.content(), "a message content");
      i++;
    }
    long p = handle.acquire();
    try {
      return Strings.fromUtf8(Native.chatTemplate(p, roles, contents, addGenerationPrompt));
    } finally {
      handle.release();
    }
  }

  private int[] specialIds() {
    int[] out = new int[2];
    long p = handle.acquire();
    try {
      Native.tokenizerSpecialIds(p, out);
    } finally {
      handle.release();
    }
    return out;
  }

  @Override
  public void close() {
    handle.close();
  }
}
