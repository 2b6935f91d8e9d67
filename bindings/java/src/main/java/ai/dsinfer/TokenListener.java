package ai.dsinfer;

/**
 * Receives a generation as it happens, on the thread that called generate. Return false to
 * cancel (the result then says {@link StopReason#CANCELLED}). An exception thrown here also
 * cancels, and generate rethrows it once the library has returned. A listener must not call
 * back into the session it is listening to (that throws IllegalStateException).
 */
@FunctionalInterface
public interface TokenListener {
  boolean onToken(Token token);
}
