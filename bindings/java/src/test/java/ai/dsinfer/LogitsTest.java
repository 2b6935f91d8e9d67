package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Logits against the fixtures' independent NumPy reference (ref_logits.npy, last row). */
class LogitsTest {
  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "v2lite", "llama", "v2", "v3"})
  void prefillMatchesTheReference(String name) throws Exception {
    int[] tokens = TestSupport.readIds(TestSupport.ckpt(name + "/tokens.json"));
    float[] want = TestSupport.npyLastRow(TestSupport.ckpt(name + "/ref_logits.npy"));
    try (Model m = Model.load(TestSupport.ckpt(name + "/model.gguf").toString());
         Session s = new Session(m, 64)) {
      s.prefill(tokens);
      float[] got = s.logits();
      assertEquals(want.length, got.length);
      float d = TestSupport.maxAbsDiff(want, got);
      assertTrue(d <= 1e-3f, name + ": max |diff| " + d);
    }
  }
}
