package ai.dsinfer;

/**
 * Load progress, 0..1, on the loading thread. Loading cannot be interrupted: when this throws,
 * the load runs to its end, the model is freed, and load rethrows the exception.
 */
@FunctionalInterface
public interface ProgressListener {
  void onProgress(float fraction);
}
