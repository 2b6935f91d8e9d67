package ai.dsinfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Paths run-tests.sh passes as system properties, and readers for the fixtures' small files. */
final class TestSupport {
  private TestSupport() {}

  static Path ckpt(String name) {
    return Path.of(required("dsinfer.test.ckpt")).resolve(name);
  }

  static Path work() {
    return Path.of(required("dsinfer.test.work"));
  }

  static String required(String property) {
    String v = System.getProperty(property);
    if (v == null || v.isEmpty()) throw new IllegalStateException("system property " + property + " is not set (run through run-tests.sh)");
    return v;
  }

  /** A JSON array of integers, as the CLI's --ids-out and the fixtures' tokens.json write it. */
  static int[] readIds(Path file) throws IOException {
    String s = Files.readString(file).trim();
    if (!s.startsWith("[") || !s.endsWith("]")) throw new IOException(file + ": not a JSON array");
    String body = s.substring(1, s.length() - 1).trim();
    if (body.isEmpty()) return new int[0];
    return Arrays.stream(body.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }

  /** The last row of a float32 little-endian C-order 2-D .npy file (format 1.0 or 2.0). */
  static float[] npyLastRow(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
      throw new IOException(file + ": not a .npy file");
    }
    int major = b[6];
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = major == 1 ? Short.toUnsignedInt(bb.getShort(8)) : bb.getInt(8);
    int dataStart = (major == 1 ? 10 : 12) + headerLen;
    String header = new String(b, major == 1 ? 10 : 12, headerLen, StandardCharsets.US_ASCII);
    if (!header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False")) {
      throw new IOException(file + ": expected little-endian float32 in C order, got " + header);
    }
    Matcher m = Pattern.compile("'shape': \\((\\d+), (\\d+)\\)").matcher(header);
    if (!m.find()) throw new IOException(file + ": expected a 2-D shape in " + header);
    int rows = Integer.parseInt(m.group(1)), cols = Integer.parseInt(m.group(2));
    if (dataStart + (long) rows * cols * 4 != b.length) throw new IOException(file + ": size does not match its shape");
    float[] last = new float[cols];
    bb.position(dataStart + (rows - 1) * cols * 4);
    bb.asFloatBuffer().get(last);
    return last;
  }

  static float maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    float d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  }

  /** The defaults the CLI's run command uses, with its -n and --seed. */
  static GenerateParams cliParams(int n, long seed) {
    return GenerateParams.builder().maxTokens(n).seed(seed).build();
  }
}
