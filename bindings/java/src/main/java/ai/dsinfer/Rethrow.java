package ai.dsinfer;

import java.lang.reflect.UndeclaredThrowableException;

/** Rethrows what a listener threw, unchanged when the language allows it. */
final class Rethrow {
  private Rethrow() {}

  static RuntimeException unchecked(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new UndeclaredThrowableException(t, "listener threw a checked exception");
  }
}
