package ai.dsinfer;

import java.nio.charset.StandardCharsets;

/**
 * A call the library refused: the {@code dsi_status} it returned and the text of
 * {@code dsi_last_error()} for that call. Unchecked, like the IllegalStateException a closed
 * handle gives and the NullPointerException a null argument gives.
 */
public class DsinferException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status status;
  private final int code;
  private final String detail;

  public DsinferException(Status status, String detail) {
    this(status, status.code(), detail, null);
  }

  public DsinferException(Status status, String detail, Throwable cause) {
    this(status, status.code(), detail, cause);
  }

  private DsinferException(Status status, int code, String detail, Throwable cause) {
    super(status.cName() + ": " + detail, cause);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** Called by the JNI glue; the message arrives as raw bytes because C text need not be valid UTF-8. */
  static DsinferException fromNative(int code, byte[] message) {
    return new DsinferException(Status.of(code), code, new String(message, StandardCharsets.UTF_8), null);
  }

  public Status status() {
    return status;
  }

  /** The raw {@code dsi_status}; differs from {@code status().code()} only for UNKNOWN. */
  public int code() {
    return code;
  }

  /** The C name of the status, e.g. {@code DSI_ERR_INVALID_FORMAT}. */
  public String statusName() {
    return status.cName();
  }

  /** The library's own message ({@code dsi_last_error()}), without the status prefix. */
  public String detail() {
    return detail;
  }
}
