package ai.dsinfer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One generation's receiving end, called by the JNI glue for every dsi_token_event. It
 * decodes the byte pieces with one streaming UTF-8 decoder (a character split across two
 * events is not mangled, and invalid bytes become U+FFFD), gathers ids and text for the
 * result, and shields the C library from the listener: an exception is kept and turns into
 * a cancel.
 */
final class TokenStream {
  private static final int[] NO_IDS = new int[0];
  private static final float[] NO_LOGPROBS = new float[0];

  private final TokenListener listener; // null: collect only
  private final Handle session;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private byte[] carry = new byte[0];
  private final StringBuilder text = new StringBuilder();
  private int[] ids = new int[16];
  private int nIds;
  private boolean stopped;
  private Throwable failure;

  TokenStream(TokenListener listener, Handle session) {
    this.listener = listener;
    this.session = session;
  }

  /** Called from native code; false cancels the generation. */
  boolean onToken(int id, byte[] bytes, float logprob, int[] topIds, float[] topLogprobs) {
    // The library may call once more after a cancel (a final flush); the listener already said stop.
    if (stopped) return false;
    if (session.isClosed()) {
      stopped = true;
      return false;
    }
    try {
      String piece = decode(bytes, false);
      if (id >= 0) add(id);
      return deliver(new Token(id, piece, logprob, topIds != null ? topIds : NO_IDS,
          topLogprobs != null ? topLogprobs : NO_LOGPROBS));
    } catch (Throwable t) {
      failure = t;
      stopped = true;
      return false;
    }
  }

  /** After the library returns: bytes of an unfinished character become U+FFFD, as a last piece. */
  void finish() {
    if (stopped) return;
    try {
      String tail = decode(new byte[0], true);
      if (!tail.isEmpty()) deliver(new Token(-1, tail, 0f, NO_IDS, NO_LOGPROBS));
    } catch (Throwable t) {
      failure = t;
    }
  }

  Throwable failure() {
    return failure;
  }

  int[] ids() {
    return Arrays.copyOf(ids, nIds);
  }

  String text() {
    return text.toString();
  }

  private boolean deliver(Token token) {
    text.append(token.text());
    if (listener == null) return true;
    boolean go = listener.onToken(token);
    if (!go) stopped = true;
    return go;
  }

  private void add(int id) {
    if (nIds == ids.length) ids = Arrays.copyOf(ids, nIds * 2);
    ids[nIds++] = id;
  }

  private String decode(byte[] bytes, boolean end) {
    ByteBuffer in = ByteBuffer.allocate(carry.length + bytes.length);
    in.put(carry).put(bytes).flip();
    // UTF-8 never yields more chars than bytes, and a replacement is one char per bad byte at most.
    CharBuffer out = CharBuffer.allocate(in.remaining() + 2);
    decoder.decode(in, out, end);
    if (end) decoder.flush(out);
    carry = new byte[in.remaining()];
    in.get(carry);
    return out.flip().toString();
  }
}
