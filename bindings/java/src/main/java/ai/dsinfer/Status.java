package ai.dsinfer;

/** The C ABI's {@code dsi_status} codes, plus two the binding itself reports. */
public enum Status {
  OK(0, "DSI_OK"),
  INVALID_ARGUMENT(1, "DSI_ERR_INVALID_ARGUMENT"),
  IO(2, "DSI_ERR_IO"),
  INVALID_FORMAT(3, "DSI_ERR_INVALID_FORMAT"),
  UNSUPPORTED(4, "DSI_ERR_UNSUPPORTED"),
  TOO_LARGE(5, "DSI_ERR_TOO_LARGE"),
  BUFFER_TOO_SMALL(6, "DSI_ERR_BUFFER_TOO_SMALL"),
  OUT_OF_MEMORY(7, "DSI_ERR_OUT_OF_MEMORY"),
  INTERNAL(8, "DSI_ERR_INTERNAL"),
  /** A code newer than this binding: the library was built from a later ABI. */
  UNKNOWN(-1, "DSI_ERR_UNKNOWN"),
  /** libdsinfer or the JNI glue could not be loaded, or its ABI version is not the one this binding speaks. */
  LIBRARY_UNAVAILABLE(-2, "LIBRARY_UNAVAILABLE");

  private final int code;
  private final String cName;

  Status(int code, String cName) {
    this.code = code;
    this.cName = cName;
  }

  /** The numeric {@code dsi_status}; negative for the binding's own two. */
  public int code() {
    return code;
  }

  /** The C constant's name, e.g. {@code DSI_ERR_IO}. */
  public String cName() {
    return cName;
  }

  static Status of(int code) {
    for (Status s : values()) {
      if (s.code == code && code >= 0) return s;
    }
    return UNKNOWN;
  }
}
