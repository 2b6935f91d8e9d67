package ai.dsinfer;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * One native pointer and the rule that keeps it from being used after its free: calls
 * acquire() before passing the pointer to C and release() after, and the free runs when the
 * handle is closed and no call is in flight, whichever comes last. So close() is idempotent,
 * safe from any thread (including a listener or the Cleaner), and never frees under a
 * running call.
 */
final class Handle {
  // Frees what a program forgot to close once its owner is unreachable.
  private static final Cleaner CLEANER = Cleaner.create();

  private final String kind;
  private final LongConsumer free;
  private long ptr;
  private int users;
  private boolean closed;

  Handle(Object owner, String kind, long ptr, LongConsumer free) {
    this.kind = kind;
    this.ptr = ptr;
    this.free = free;
    // The action refers to this Handle only, never to the owner, or the owner would never become unreachable.
    CLEANER.register(owner, this::close);
  }

  /** The pointer, counted as in use until release(); IllegalStateException once closed. */
  synchronized long acquire() {
    if (closed) throw new IllegalStateException(kind + " is closed");
    users++;
    return ptr;
  }

  synchronized void release() {
    if (--users == 0 && closed) freeNow();
  }

  synchronized void close() {
    if (closed) return;
    closed = true;
    if (users == 0) freeNow();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  private void freeNow() {
    long p = ptr;
    ptr = 0;
    if (p != 0) free.accept(p);
  }
}
