package ai.dsinfer;

import java.util.Arrays;

/**
 * A session's MoE router record: what the last forward call chose, counts per expert, and
 * the experts-per-token setting. For a dense model every layer reports no experts. It shares
 * the session's lock and keeps the session's state alive after the Session is closed.
 */
public final class Router implements AutoCloseable {
  private final Handle handle;
  private final SessionLock lock;

  Router(long ptr, SessionLock lock) {
    this.lock = lock;
    handle = new Handle(this, "Router", ptr, Native::routerFree);
  }

  public RouterInfo info() {
    int[] v = new int[4];
    long p = enter();
    try {
      Native.routerInfo(p, v);
    } finally {
      exit();
    }
    return new RouterInfo(v[0], v[1], v[2], v[3]);
  }

  /** Experts chosen for token (0..lastTokens-1) of the last forward call at layer; empty for a dense layer. */
  public ExpertChoice lastChoice(int layer, int token) {
    long p = enter();
    try {
      int cap = 16;
      while (true) {
        int[] experts = new int[cap];
        float[] weights = new float[cap];
        int n = Native.routerLastChoice(p, layer, token, experts, weights);
        if (n <= cap) return new ExpertChoice(Arrays.copyOf(experts, n), Arrays.copyOf(weights, n));
        cap = n;
      }
    } finally {
      exit();
    }
  }

  /** Tokens routed to each expert of layer since the session began (empty for a dense model). */
  public long[] expertCounts(int layer) {
    long p = enter();
    try {
      int cap = 64;
      while (true) {
        long[] counts = new long[cap];
        int n = Native.routerExpertCounts(p, layer, counts);
        if (n <= cap) return Arrays.copyOf(counts, n);
        cap = n;
      }
    } finally {
      exit();
    }
  }

  /** Experts per token from now on; 0 restores the model's own number. UNSUPPORTED on a dense model. */
  public void setTopK(int k) {
    long p = enter();
    try {
      Native.routerSetTopK(p, k);
    } finally {
      exit();
    }
  }

  @Override
  public void close() {
    handle.close();
  }

  private long enter() {
    lock.enter();
    try {
      return handle.acquire();
    } catch (RuntimeException e) {
      lock.exit();
      throw e;
    }
  }

  private void exit() {
    handle.release();
    lock.exit();
  }
}
