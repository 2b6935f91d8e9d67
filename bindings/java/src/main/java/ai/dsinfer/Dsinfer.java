package ai.dsinfer;

/** The loaded library itself. */
public final class Dsinfer {
  private Dsinfer() {}

  /** The library's version, e.g. "0.1.0". */
  public static String version() {
    Native.check();
    return Strings.fromUtf8(Native.versionString());
  }

  /** The loaded library's DSI_ABI_VERSION (always the one this binding needs, or loading failed). */
  public static int abiVersion() {
    Native.check();
    return Native.abiVersion();
  }
}
