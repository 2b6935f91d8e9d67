package ai.dsinfer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The C ABI allows a session, its cache and its router to be used from one thread at a time.
 * The session and every Cache and Router made from it share one SessionLock, so calls from
 * several threads queue instead of racing inside the library. A call from the thread that
 * already holds it (a listener calling back into its own session) would re-enter the
 * library mid-generation, so that is refused with IllegalStateException.
 */
final class SessionLock {
  private static final AtomicLong NEXT = new AtomicLong();

  // Locks of two sessions are always taken in this order, so two copies in opposite directions cannot deadlock.
  private final long order = NEXT.getAndIncrement();
  private Thread owner;

  synchronized void enter() {
    Thread me = Thread.currentThread();
    if (owner == me) {
      throw new IllegalStateException("the session is busy in a call on this thread (a listener may not call back into its own session)");
    }
    boolean interrupted = false;
    while (owner != null) {
      try {
        wait();
      } catch (InterruptedException e) {
        // A native call cannot be interrupted either; keep the flag for the caller.
        interrupted = true;
      }
    }
    owner = me;
    if (interrupted) me.interrupt();
  }

  synchronized void exit() {
    owner = null;
    notifyAll();
  }

  static void enterBoth(SessionLock a, SessionLock b) {
    if (a == b) {
      a.enter();
      return;
    }
    SessionLock first = a.order < b.order ? a : b;
    SessionLock second = first == a ? b : a;
    first.enter();
    try {
      second.enter();
    } catch (RuntimeException e) {
      first.exit();
      throw e;
    }
  }

  static void exitBoth(SessionLock a, SessionLock b) {
    a.exit();
    if (b != a) b.exit();
  }
}
