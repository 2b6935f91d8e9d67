package ai.dsinfer;

import java.nio.charset.StandardCharsets;

/**
 * Java text to the bytes C reads. Everything crosses as UTF-8 byte arrays, never through
 * JNI's modified UTF-8, which encodes NUL and characters beyond the BMP differently.
 */
final class Strings {
  private Strings() {}

  /** Text passed with its length (prompts, text to tokenize): any content is fine. */
  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Text that becomes a NUL-terminated C string: an embedded NUL would cut it short, so refuse it. */
  static byte[] cString(String s, String what) {
    if (s.indexOf('\0') >= 0) {
      throw new DsinferException(Status.INVALID_ARGUMENT, what + " contains a NUL character");
    }
    return utf8(s);
  }

  static String fromUtf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
