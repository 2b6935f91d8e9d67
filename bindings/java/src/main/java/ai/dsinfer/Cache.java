package ai.dsinfer;

import java.util.Objects;

/**
 * A session's MLA cache: its size, rollback, prefix copy and save/load. It shares the
 * session's lock, and keeps the session's state alive after the Session is closed.
 */
public final class Cache implements AutoCloseable {
  private final Handle handle;
  private final SessionLock lock;

  Cache(long ptr, SessionLock lock) {
    this.lock = lock;
    handle = new Handle(this, "Cache", ptr, Native::cacheFree);
  }

  public long bytesPerToken() {
    long p = enter();
    try {
      return Native.cacheBytesPerToken(p);
    } finally {
      exit();
    }
  }

  /** Positions filled. */
  public int tokens() {
    long p = enter();
    try {
      return Native.cacheTokens(p);
    } finally {
      exit();
    }
  }

  /** Drops every position >= n (n <= tokens()). */
  public void truncate(int n) {
    long p = enter();
    try {
      Native.cacheTruncate(p, n);
    } finally {
      exit();
    }
  }

  /** Replaces dst's contents with this cache's first n positions (same model, another session). */
  public void copyTo(Cache dst, int n) {
    Objects.requireNonNull(dst, "dst");
    SessionLock.enterBoth(lock, dst.lock);
    try {
      long src = handle.acquire();
      try {
        long d = dst.handle.acquire();
        try {
          Native.cacheCopy(src, d, n);
        } finally {
          dst.handle.release();
        }
      } finally {
        handle.release();
      }
    } finally {
      SessionLock.exitBoth(lock, dst.lock);
    }
  }

  public void save(String path) {
    Objects.requireNonNull(path, "path");
    byte[] c = Strings.cString(path, "the cache path");
    long p = enter();
    try {
      Native.cacheSave(p, c);
    } finally {
      exit();
    }
  }

  /** Loads a file saved for the same model; another model's file is refused. */
  public void load(String path) {
    Objects.requireNonNull(path, "path");
    byte[] c = Strings.cString(path, "the cache path");
    long p = enter();
    try {
      Native.cacheLoad(p, c);
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
