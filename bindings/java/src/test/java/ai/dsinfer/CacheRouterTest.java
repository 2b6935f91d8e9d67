package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CacheRouterTest {
  static final int[] PROMPT = {5, 17, 42, 9, 60, 3}; // v2lite's vocabulary is 96

  @Test
  void cacheSizeTruncateSaveLoadCopy() throws Exception {
    try (Model m = Model.load(TestSupport.ckpt("v2lite/model.gguf").toString());
         Session a = new Session(m, 128);
         Session b = new Session(m, 128);
         Cache ca = a.cache();
         Cache cb = b.cache()) {
      assertEquals(m.info().cacheBytesPerToken(), ca.bytesPerToken());
      assertTrue(ca.bytesPerToken() > 0);
      assertEquals(0, ca.tokens());
      a.prefill(PROMPT);
      assertEquals(PROMPT.length, ca.tokens());
      assertEquals(a.nPast(), ca.tokens());

      String file = TestSupport.work().resolve("v2lite.cache").toString();
      ca.save(file);
      cb.load(file);
      assertEquals(PROMPT.length, cb.tokens());
      a.decode(7);
      b.decode(7);
      assertArrayEquals(a.logits(), b.logits());

      ca.truncate(3);
      assertEquals(3, ca.tokens());
      assertEquals(3, a.nPast());
      DsinferException e = assertThrows(DsinferException.class, () -> ca.truncate(10));
      assertEquals(Status.INVALID_ARGUMENT, e.status());
      assertThrows(DsinferException.class, () -> ca.truncate(-1));

      cb.copyTo(ca, 5);
      assertEquals(5, ca.tokens());
      e = assertThrows(DsinferException.class, () -> ca.copyTo(ca, 1));
      assertEquals(Status.INVALID_ARGUMENT, e.status());

      // Replaying the same tokens after a rollback gives the same logits. Not to the last
      // bit: the kept positions were computed in a 6-token prefill, c's in a 3-token one, and
      // a product over several tokens may sum in another order than one over a single token.
      try (Session c = new Session(m, 128)) {
        c.prefill(Arrays.copyOf(PROMPT, 3));
        c.decode(PROMPT[3]);
        ca.truncate(3);
        a.decode(PROMPT[3]);
        assertArrayEquals(c.logits(), a.logits(), 1e-5f);
      }
    }
  }

  @Test
  void cacheOfAnotherModelIsRefused() throws Exception {
    String file = TestSupport.work().resolve("qwen2.cache").toString();
    try (Model q = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString());
         Session s = new Session(q);
         Cache c = s.cache()) {
      s.prefill(PROMPT);
      c.save(file);
    }
    try (Model v = Model.load(TestSupport.ckpt("v2lite/model.gguf").toString());
         Session s = new Session(v);
         Cache c = s.cache()) {
      DsinferException e = assertThrows(DsinferException.class, () -> c.load(file));
      assertNotEquals(Status.OK, e.status());
      e = assertThrows(DsinferException.class, () -> c.load(TestSupport.work().resolve("missing.cache").toString()));
      assertEquals(Status.IO, e.status());
    }
  }

  @Test
  void cacheAndRouterOutliveTheirSession() {
    try (Model m = Model.builtin()) {
      Session s = new Session(m);
      Cache c = s.cache();
      Router r = s.router();
      s.prefill(PROMPT);
      s.close();
      assertEquals(PROMPT.length, c.tokens());
      assertEquals(PROMPT.length, r.info().lastTokens());
      c.close();
      r.close();
    }
  }

  @Test
  void routerOnV2Lite() throws Exception {
    try (Model m = Model.load(TestSupport.ckpt("v2lite/model.gguf").toString());
         Session s = new Session(m);
         Router r = s.router()) {
      ModelInfo info = m.info();
      RouterInfo ri = r.info();
      assertEquals(info.nLayers(), ri.nLayers());
      assertEquals(info.nExperts(), ri.nExperts());
      assertTrue(ri.nExperts() > 0);
      assertEquals(info.nExpertsPerToken(), ri.topK());
      s.prefill(PROMPT);
      assertEquals(PROMPT.length, r.info().lastTokens());
      int moeLayers = 0;
      for (int layer = 0; layer < ri.nLayers(); layer++) {
        ExpertChoice c = r.lastChoice(layer, PROMPT.length - 1);
        if (c.size() == 0) continue;
        moeLayers++;
        assertEquals(ri.topK(), c.size());
        assertEquals(ri.topK(), Arrays.stream(c.experts()).distinct().count());
        for (int e : c.experts()) assertTrue(e >= 0 && e < ri.nExperts());
        long[] counts = r.expertCounts(layer);
        assertEquals(ri.nExperts(), counts.length);
        assertEquals((long) PROMPT.length * ri.topK(), Arrays.stream(counts).sum());
      }
      assertTrue(moeLayers > 0);
      assertThrows(DsinferException.class, () -> r.lastChoice(ri.nLayers(), 0));
      assertThrows(DsinferException.class, () -> r.lastChoice(0, PROMPT.length));
      assertThrows(DsinferException.class, () -> r.expertCounts(-1));

      r.setTopK(1);
      s.decode(3);
      assertEquals(1, r.info().lastTokens());
      for (int layer = 0; layer < ri.nLayers(); layer++) {
        ExpertChoice c = r.lastChoice(layer, 0);
        assertTrue(c.size() == 0 || c.size() == 1);
      }
      r.setTopK(0);
      assertEquals(info.nExpertsPerToken(), r.info().topK());
      assertThrows(DsinferException.class, () -> r.setTopK(ri.nExperts() + 1));
    }
  }

  @Test
  void routerOnADenseModel() throws Exception {
    try (Model m = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString());
         Session s = new Session(m);
         Router r = s.router()) {
      assertEquals(0, m.info().nExperts());
      assertEquals(0, r.info().nExperts());
      s.prefill(PROMPT);
      // The record knows the call's tokens; every layer is dense, so each choice is empty.
      assertEquals(PROMPT.length, r.info().lastTokens());
      assertEquals(0, r.lastChoice(0, 0).size());
      assertEquals(0, r.expertCounts(0).length);
      DsinferException e = assertThrows(DsinferException.class, () -> r.setTopK(1));
      assertEquals(Status.UNSUPPORTED, e.status());
    }
  }
}
