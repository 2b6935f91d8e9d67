package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GenerateTest {
  static Model builtin;

  @BeforeAll
  static void load() {
    builtin = Model.builtin();
  }

  @AfterAll
  static void free() {
    builtin.close();
  }

  @Test
  void defaultsComeFromTheLibrary() {
    GenerateParams p = GenerateParams.defaults();
    assertEquals(0.8f, p.temperature(), 1e-6);
    assertEquals(40, p.topK());
    assertEquals(0.95f, p.topP(), 1e-6);
    assertEquals(0.05f, p.minP(), 1e-6);
    assertEquals(256, p.maxTokens());
    assertTrue(p.stopAtEos());
    assertTrue(p.addSpecial());
    assertEquals(List.of(), p.stop());
    GenerateParams q = p.toBuilder().seed(-1L).stop("x").build();
    assertEquals(-1L, q.seed());
    assertEquals(List.of("x"), q.stop());
    assertEquals(List.of(), p.stop());
  }

  @Test
  void builtinSeededIdsMatchTheCli() throws Exception {
    int[] expected = TestSupport.readIds(TestSupport.work().resolve("builtin_ids.json"));
    try (Session s = new Session(builtin, 4096)) {
      GenerateResult r = s.generate("Hello", TestSupport.cliParams(12, 42), t -> true);
      assertArrayEquals(expected, r.ids());
      assertEquals(expected.length, r.generatedTokens());
    }
  }

  @Test
  void qwen2SeededIdsMatchTheCli() throws Exception {
    int[] expected = TestSupport.readIds(TestSupport.work().resolve("qwen2_ids.json"));
    try (Model m = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString());
         Session s = new Session(m)) {
      GenerateResult r = s.generate("Hello", TestSupport.cliParams(8, 7));
      assertArrayEquals(expected, r.ids());
      assertEquals(StopReason.MAX_TOKENS, r.stopReason());
    }
  }

  @Test
  void streamedPiecesConcatenateToTheText() {
    try (Session s = new Session(builtin)) {
      StringBuilder streamed = new StringBuilder();
      List<Integer> ids = new ArrayList<>();
      GenerateParams p = GenerateParams.builder().maxTokens(24).seed(3).stopAtEos(false).topLogprobs(2).build();
      GenerateResult r = s.generate("stream me", p, t -> {
        streamed.append(t.text());
        if (t.id() >= 0) {
          ids.add(t.id());
          assertEquals(2, t.topIds().length);
          assertEquals(2, t.topLogprobs().length);
        }
        return true;
      });
      assertEquals(r.text(), streamed.toString());
      assertEquals(24, r.generatedTokens());
      assertArrayEquals(r.ids(), ids.stream().mapToInt(Integer::intValue).toArray());
      assertEquals(StopReason.MAX_TOKENS, r.stopReason());
      assertTrue(r.promptTokens() > 0);
    }
  }

  @Test
  void textMatchesTheTokenizerOnARealModel() throws Exception {
    try (Model m = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString());
         Tokenizer t = m.tokenizer();
         Session s = new Session(m)) {
      StringBuilder streamed = new StringBuilder();
      GenerateResult r = s.generate("Hello", GenerateParams.builder().maxTokens(10).seed(11).stopAtEos(false).build(), tok -> {
        streamed.append(tok.text());
        return true;
      });
      assertEquals(streamed.toString(), r.text());
      assertEquals(t.decode(r.ids(), true), r.text());
    }
  }

  @Test
  void cancelAfterTwoTokensLeavesTheSessionUsable() {
    try (Session s = new Session(builtin)) {
      int[] calls = {0};
      GenerateParams p = GenerateParams.builder().maxTokens(20).seed(5).stopAtEos(false).build();
      GenerateResult r = s.generate("cancel", p, t -> ++calls[0] < 2);
      assertEquals(StopReason.CANCELLED, r.stopReason());
      assertEquals(2, calls[0]);
      assertEquals(2, r.generatedTokens());
      GenerateResult again = s.generate(" more", GenerateParams.builder().maxTokens(3).stopAtEos(false).build(), t -> true);
      assertEquals(3, again.generatedTokens());
      assertEquals(StopReason.MAX_TOKENS, again.stopReason());
    }
  }

  @Test
  void stopStringEndsTheGeneration() {
    try (Model m = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString());
         Session probe = new Session(m);
         Session s = new Session(m)) {
      GenerateParams base = GenerateParams.builder().maxTokens(16).seed(9).stopAtEos(false).build();
      String text = probe.generate("Hello", base).text();
      if (text.length() < 3) return; // nothing to cut; the sampler's output decides
      String stop = text.substring(text.length() / 2, text.length() / 2 + 1);
      GenerateResult r = s.generate("Hello", base.toBuilder().stop(stop).build());
      assertEquals(StopReason.STOP_STRING, r.stopReason());
      assertEquals(text.substring(0, text.indexOf(stop)), r.text());
    }
  }

  @Test
  void promptAsIdsAndContinuation() {
    try (Session s = new Session(builtin); Tokenizer t = builtin.tokenizer()) {
      int[] prompt = t.encode("ids prompt");
      GenerateParams p = GenerateParams.builder().maxTokens(4).seed(1).stopAtEos(false).build();
      GenerateResult r = s.generate(prompt, p, x -> true);
      assertEquals(prompt.length, r.promptTokens());
      assertEquals(prompt.length + 4, s.nPast()); // every sampled token is fed back
      GenerateResult more = s.generate(new int[0], p, x -> true);
      assertEquals(4, more.generatedTokens());
    }
  }

  @Test
  void tokenApiOnTheBuiltinModel() {
    try (Session s = new Session(builtin)) {
      s.prefill(new int[] {1, 2, 3});
      assertEquals(3, s.nPast());
      float[] l = s.logits();
      assertEquals(builtin.info().nVocab(), l.length);
      s.decode(7);
      assertEquals(4, s.nPast());
      assertNotEquals(l[0], s.logits()[0]);
    }
  }
}
