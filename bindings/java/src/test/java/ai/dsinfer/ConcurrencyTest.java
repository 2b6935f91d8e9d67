package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
  /** A text prompt where the model has a tokenizer, token ids where it has none. */
  static int[] run(Model m, int i, boolean text) {
    try (Session s = new Session(m)) {
      GenerateParams p = GenerateParams.builder().maxTokens(8).seed(1000 + i).stopAtEos(false).build();
      return text
          ? s.generate("worker " + i, p, t -> true).ids()
          : s.generate(new int[] {0, 10 + i, 20, 30 + i}, p, t -> true).ids();
    }
  }

  static <T> List<T> inThreads(int n, java.util.function.IntFunction<Callable<T>> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Callable<T> c = task.apply(i);
        futures.add(pool.submit(() -> {
          start.await();
          return c.call();
        }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) out.add(f.get(240, TimeUnit.SECONDS));
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fourThreadsOneModelSameIdsAsAlone() throws Exception {
    for (String path : new String[] {null, TestSupport.ckpt("v2lite/model.gguf").toString()}) {
      try (Model m = path == null ? Model.builtin() : Model.load(path)) {
        boolean text = path == null;
        List<int[]> alone = new ArrayList<>();
        for (int i = 0; i < 4; i++) alone.add(run(m, i, text));
        List<int[]> together = inThreads(4, i -> () -> run(m, i, text));
        for (int i = 0; i < 4; i++) {
          assertEquals(8, alone.get(i).length);
          assertArrayEquals(alone.get(i), together.get(i), "worker " + i);
        }
      }
    }
  }

  @Test
  void oneSessionFromSeveralThreadsIsSerialized() throws Exception {
    try (Model m = Model.builtin(); Session s = new Session(m, 4096)) {
      GenerateParams p = GenerateParams.builder().maxTokens(4).stopAtEos(false).build();
      List<Integer> counts = inThreads(4, i -> () -> {
        int total = 0;
        for (int k = 0; k < 5; k++) {
          total += s.generate("t" + i, p, t -> true).generatedTokens();
          s.logits();
          try (Cache c = s.cache()) {
            c.tokens();
          }
        }
        return total;
      });
      for (int c : counts) assertEquals(20, c);
    }
  }

  @Test
  void closingWhileOtherThreadsUseTheHandles() throws Exception {
    for (int round = 0; round < 5; round++) {
      Model m = Model.builtin();
      Session shared = new Session(m);
      AtomicInteger closedSeen = new AtomicInteger();
      List<Integer> done = inThreads(5, i -> () -> {
        if (i == 0) {
          Thread.sleep(2);
          m.close();
          shared.close();
          return 0;
        }
        int ok = 0;
        for (int k = 0; k < 20; k++) {
          try {
            if (i % 2 == 0) {
              try (Session s = new Session(m); Tokenizer t = m.tokenizer()) {
                s.prefill(t.encode("abc"));
              }
            } else {
              shared.generate("x", GenerateParams.builder().maxTokens(3).stopAtEos(false).build(), t -> true);
            }
            ok++;
          } catch (IllegalStateException e) {
            closedSeen.incrementAndGet();
          }
        }
        return ok;
      });
      assertEquals(5, done.size());
      assertTrue(closedSeen.get() > 0 || done.stream().mapToInt(Integer::intValue).sum() == 80);
      assertThrows(IllegalStateException.class, m::info);
    }
  }

  @Test
  void closeFromAnotherThreadCancelsAGeneration() throws Exception {
    try (Model m = Model.builtin()) {
      Session s = new Session(m);
      CountDownLatch started = new CountDownLatch(1);
      List<GenerateResult> results = inThreads(2, i -> () -> {
        if (i == 0) {
          return s.generate("x", GenerateParams.builder().maxTokens(100000).stopAtEos(false).build(), t -> {
            started.countDown();
            return true;
          });
        }
        started.await();
        s.close();
        return null;
      });
      GenerateResult r = results.get(0);
      assertTrue(r.stopReason() == StopReason.CANCELLED || r.stopReason() == StopReason.CONTEXT_FULL, r.stopReason().toString());
      assertThrows(IllegalStateException.class, () -> s.decode(1));
    }
  }

  @Test
  void copiesInOppositeDirectionsDoNotDeadlock() throws Exception {
    try (Model m = Model.builtin(); Session a = new Session(m); Session b = new Session(m);
         Cache ca = a.cache(); Cache cb = b.cache()) {
      a.prefill(new int[] {1, 2, 3, 4});
      b.prefill(new int[] {5, 6, 7, 8});
      inThreads(2, i -> () -> {
        for (int k = 0; k < 200; k++) {
          if (i == 0) ca.copyTo(cb, 2);
          else cb.copyTo(ca, 2);
        }
        return null;
      });
      assertEquals(2, ca.tokens());
      assertEquals(2, cb.tokens());
    }
  }
}
