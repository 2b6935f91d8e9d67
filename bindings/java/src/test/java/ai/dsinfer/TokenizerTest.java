package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizerTest {
  @Test
  void builtinRoundTrip() {
    try (Model m = Model.builtin(); Tokenizer t = m.tokenizer()) {
      int[] ids = t.encode("héllo 🙂");
      assertEquals(t.bos(), ids[0]);
      assertEquals("héllo 🙂", t.decode(ids, true));
      assertTrue(t.vocabSize() >= 256);
      assertTrue(t.eos() >= 0);
      assertArrayEquals(ids, t.encode("héllo 🙂", true, false));
      assertEquals(ids.length - 1, t.encode("héllo 🙂", false, false).length);
      assertEquals(0, t.encode("", false, false).length);
      assertEquals("", t.decode(new int[0]));
    }
  }

  @Test
  void longTextNeedsTheRetryPath() {
    try (Model m = Model.load(TestSupport.ckpt("qwen2/model.gguf").toString()); Tokenizer t = m.tokenizer()) {
      // The fixture's vocabulary is printable ASCII without a space token.
      String text = "Thequickbrownfoxjumpsoverthelazydog.".repeat(200);
      int[] ids = t.encode(text, false, false);
      assertTrue(ids.length > 0);
      assertEquals(text, t.decode(ids));
    }
  }

  @Test
  void qwen2RoundTripAndTokenizerFromFile() throws Exception {
    String gguf = TestSupport.ckpt("qwen2/model.gguf").toString();
    try (Model m = Model.load(gguf); Tokenizer a = m.tokenizer(); Tokenizer b = Tokenizer.load(gguf)) {
      String text = "Hello,world!123";
      int[] ids = a.encode(text, false, false);
      assertArrayEquals(ids, b.encode(text, false, false));
      assertEquals(text, a.decode(ids));
      assertEquals(a.vocabSize(), b.vocabSize());
      assertEquals(m.info().nVocab(), a.vocabSize());
    }
  }

  @Test
  void chatTemplateOrUnsupported() {
    List<Message> msgs = List.of(new Message("system", "Be brief."), new Message("user", "Hello"));
    try (Model m = Model.builtin()) {
      assertEquals("<｜begin▁of▁sentence｜>Be brief.\n\nUser: Hello\n\nAssistant:", m.chatTemplate(msgs, true));
    }
    for (String name : new String[] {"qwen2", "llama", "v2lite"}) {
      try (Model m = Model.load(TestSupport.ckpt(name + "/model.gguf").toString())) {
        try {
          String s = m.chatTemplate(msgs, true);
          assertTrue(s.contains("Hello"), name + ": " + s);
        } catch (DsinferException e) {
          assertEquals(Status.UNSUPPORTED, e.status(), name + ": " + e.getMessage());
          assertFalse(e.detail().isEmpty());
        }
      }
    }
  }
}
