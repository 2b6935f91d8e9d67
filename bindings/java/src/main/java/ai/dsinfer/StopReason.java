package ai.dsinfer;

/** Why a generation ended ({@code dsi_stop_reason}, in the same order). */
public enum StopReason {
  EOS,
  STOP_STRING,
  MAX_TOKENS,
  CONTEXT_FULL,
  CANCELLED,
  /** A reason newer than this binding. */
  UNKNOWN;

  static StopReason of(int code) {
    StopReason[] all = values();
    return code >= 0 && code < all.length - 1 ? all[code] : UNKNOWN;
  }
}
