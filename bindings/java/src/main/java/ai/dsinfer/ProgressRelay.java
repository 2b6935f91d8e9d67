package ai.dsinfer;

/**
 * Between the JNI glue and a ProgressListener: an exception must not unwind through the C
 * library, so it is kept here, later calls are skipped, and load rethrows it afterwards.
 */
final class ProgressRelay {
  private final ProgressListener listener;
  private Throwable failure;

  ProgressRelay(ProgressListener listener) {
    this.listener = listener;
  }

  /** Called from native code. */
  void onProgress(float fraction) {
    if (failure != null) return;
    try {
      listener.onProgress(fraction);
    } catch (Throwable t) {
      failure = t;
    }
  }

  Throwable failure() {
    return failure;
  }
}
