package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Everything a host can get wrong ends in an exception, never in a crashed JVM. */
class ErrorsTest {
  static Model builtin;

  @BeforeAll
  static void load() {
    builtin = Model.builtin();
  }

  @AfterAll
  static void free() {
    builtin.close();
  }

  static DsinferException refused(Status want, org.junit.jupiter.api.function.Executable call) {
    DsinferException e = assertThrows(DsinferException.class, call);
    assertEquals(want, e.status(), e.getMessage());
    assertEquals(want.code(), e.code());
    assertEquals(want.cName(), e.statusName());
    assertFalse(e.detail().isEmpty(), "the library's message is carried");
    return e;
  }

  @Test
  void missingFileIsIo() {
    DsinferException e = refused(Status.IO, () -> Model.load("/nonexistent/model.gguf"));
    assertTrue(e.getMessage().startsWith("DSI_ERR_IO: "));
    refused(Status.IO, () -> Tokenizer.load("/nonexistent/tokenizer.json"));
    refused(Status.INVALID_ARGUMENT, () -> Model.load(""));
  }

  @Test
  void corruptFilesAreInvalidFormat() throws Exception {
    Path garbage = TestSupport.work().resolve("garbage.gguf");
    Files.write(garbage, "this is not a model at all, just some text that goes on".getBytes());
    refused(Status.INVALID_FORMAT, () -> Model.load(garbage.toString()));

    byte[] real = Files.readAllBytes(TestSupport.ckpt("qwen2/model.gguf"));
    Path truncated = TestSupport.work().resolve("truncated.gguf");
    Files.write(truncated, Arrays.copyOf(real, 200));
    refused(Status.INVALID_FORMAT, () -> Model.load(truncated.toString()));

    // Magic intact, every header byte after it flipped.
    byte[] flipped = real.clone();
    for (int i = 4; i < 64; i++) flipped[i] ^= (byte) 0x5a;
    Path bad = TestSupport.work().resolve("flipped.gguf");
    Files.write(bad, flipped);
    DsinferException e = assertThrows(DsinferException.class, () -> Model.load(bad.toString()));
    assertNotEquals(Status.INTERNAL, e.status(), e.getMessage());
  }

  @Test
  void nullArgumentsAreNullPointerExceptions() {
    assertThrows(NullPointerException.class, () -> Model.load(null));
    assertThrows(NullPointerException.class, () -> Model.load("x", 0, null));
    assertThrows(NullPointerException.class, () -> Tokenizer.load(null));
    assertThrows(NullPointerException.class, () -> new Session(null));
    assertThrows(NullPointerException.class, () -> builtin.chatTemplate(null, true));
    List<Message> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> builtin.chatTemplate(withNull, true));
    assertThrows(NullPointerException.class, () -> new Message(null, "x"));
    try (Tokenizer t = builtin.tokenizer(); Session s = new Session(builtin)) {
      assertThrows(NullPointerException.class, () -> t.encode(null));
      assertThrows(NullPointerException.class, () -> t.decode(null));
      assertThrows(NullPointerException.class, () -> s.prefill(null));
      assertThrows(NullPointerException.class, () -> s.generate((String) null));
      assertThrows(NullPointerException.class, () -> s.generate("x", null));
      assertThrows(NullPointerException.class, () -> s.generate("x", GenerateParams.defaults(), null));
      assertThrows(NullPointerException.class, () -> s.generate((int[]) null, GenerateParams.defaults(), t2 -> true));
      assertThrows(NullPointerException.class, () -> GenerateParams.builder().stop((String) null));
      try (Cache c = s.cache()) {
        assertThrows(NullPointerException.class, () -> c.save(null));
        assertThrows(NullPointerException.class, () -> c.load(null));
        assertThrows(NullPointerException.class, () -> c.copyTo(null, 0));
      }
    }
  }

  @Test
  void nulInsideACStringIsRefused() {
    refused(Status.INVALID_ARGUMENT, () -> Model.load("/tmp/a\0b"));
    refused(Status.INVALID_ARGUMENT, () -> builtin.chatTemplate(List.of(new Message("us\0er", "x")), true));
    try (Session s = new Session(builtin)) {
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().stop("a\0").build()));
      // Prompts carry their length, so a NUL there is just a byte.
      assertEquals(2, s.generate("a\0b", GenerateParams.builder().maxTokens(2).stopAtEos(false).build()).generatedTokens());
    }
  }

  @Test
  void useAfterCloseAndDoubleClose() {
    Model m = Model.builtin();
    Tokenizer t = m.tokenizer();
    Session s = new Session(m);
    Cache c = s.cache();
    Router r = s.router();
    for (AutoCloseable h : new AutoCloseable[] {r, c, s, t, m}) {
      assertDoesNotThrow(h::close);
      assertDoesNotThrow(h::close);
    }
    assertThrows(IllegalStateException.class, m::info);
    assertThrows(IllegalStateException.class, m::tokenizer);
    assertThrows(IllegalStateException.class, () -> new Session(m));
    assertThrows(IllegalStateException.class, () -> t.encode("x"));
    assertThrows(IllegalStateException.class, t::eos);
    assertThrows(IllegalStateException.class, () -> s.decode(1));
    assertThrows(IllegalStateException.class, s::logits);
    assertThrows(IllegalStateException.class, () -> s.generate("x"));
    assertThrows(IllegalStateException.class, s::cache);
    assertThrows(IllegalStateException.class, c::tokens);
    assertThrows(IllegalStateException.class, r::info);
  }

  @Test
  void aSessionOutlivesItsModelHandle() {
    Model m = Model.builtin();
    try (Session s = new Session(m)) {
      m.close();
      assertEquals(3, s.generate("x", GenerateParams.builder().maxTokens(3).stopAtEos(false).build()).generatedTokens());
    }
  }

  @Test
  void badValuesAreInvalidArgument() {
    try (Session s = new Session(builtin, 8); Tokenizer t = builtin.tokenizer()) {
      refused(Status.INVALID_ARGUMENT, s::logits); // nothing fed yet
      refused(Status.INVALID_ARGUMENT, () -> s.prefill(new int[0]));
      refused(Status.INVALID_ARGUMENT, () -> s.decode(-7));
      refused(Status.INVALID_ARGUMENT, () -> s.decode(Integer.MAX_VALUE));
      refused(Status.INVALID_ARGUMENT, () -> s.decode(builtin.info().nVocab()));
      refused(Status.INVALID_ARGUMENT, () -> s.prefill(new int[] {1, -1}));
      refused(Status.INVALID_ARGUMENT, () -> t.decode(new int[] {99999}));
      refused(Status.INVALID_ARGUMENT, () -> t.decode(new int[] {-1}));
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().maxTokens(-1).build()));
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().topLogprobs(-1).build()));
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().stop("").build()));
      refused(Status.INVALID_ARGUMENT, () -> s.generate(new int[0], GenerateParams.defaults(), x -> true));
      assertEquals(0, s.nPast());
      // Sampler settings are checked after the prompt is prefilled (the session keeps it).
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().topP(0).build()));
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x", GenerateParams.builder().temperature(-1).build()));
    }
    refused(Status.INVALID_ARGUMENT, () -> new Session(builtin, 0));
    refused(Status.INVALID_ARGUMENT, () -> new Session(builtin, -5));
    refused(Status.INVALID_ARGUMENT, () -> Model.builtin(-1));
  }

  @Test
  void promptLongerThanTheContext() {
    try (Session s = new Session(builtin, 16)) {
      GenerateParams p = GenerateParams.builder().maxTokens(4).stopAtEos(false).build();
      refused(Status.INVALID_ARGUMENT, () -> s.generate("x".repeat(100), p));
      refused(Status.INVALID_ARGUMENT, () -> s.prefill(new int[17]));
      assertEquals(0, s.nPast());
      GenerateResult r = s.generate("hi", p);
      assertEquals(4, r.generatedTokens());
      GenerateResult full = s.generate("", GenerateParams.builder().maxTokens(100).stopAtEos(false).build());
      assertEquals(StopReason.CONTEXT_FULL, full.stopReason());
      assertEquals(16, s.nPast());
    }
  }

  @Test
  void listenerExceptionsCancelAndAreRethrown() {
    try (Session s = new Session(builtin)) {
      GenerateParams p = GenerateParams.builder().maxTokens(20).stopAtEos(false).build();
      int[] calls = {0};
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.generate("x", p, t -> {
        if (++calls[0] == 3) throw new IllegalArgumentException("from the listener");
        return true;
      }));
      assertEquals("from the listener", e.getMessage());
      assertEquals(3, calls[0], "no call after the exception");
      int before = s.nPast();
      assertThrows(StackOverflowError.class, () -> s.generate("y", p, t -> {
        throw new StackOverflowError("pretend");
      }));
      assertThrows(OutOfMemoryError.class, () -> s.generate("y", p, t -> {
        throw new OutOfMemoryError("pretend");
      }));
      assertTrue(s.nPast() > before);
      assertEquals(20, s.generate("z", p, t -> true).generatedTokens(), "the session is usable after");
    }
  }

  @Test
  void listenerThrowingACheckedException() {
    try (Session s = new Session(builtin)) {
      GenerateParams p = GenerateParams.builder().maxTokens(5).stopAtEos(false).build();
      RuntimeException e = assertThrows(RuntimeException.class, () -> s.generate("x", p, t -> sneaky(new Exception("checked"))));
      assertEquals("checked", e.getCause().getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  static <T extends Throwable> boolean sneaky(Throwable t) throws T {
    throw (T) t;
  }

  @Test
  void listenerMayNotReenterItsSession() {
    try (Session s = new Session(builtin); Session other = new Session(builtin)) {
      GenerateParams p = GenerateParams.builder().maxTokens(5).stopAtEos(false).build();
      assertThrows(IllegalStateException.class, () -> s.generate("x", p, t -> {
        s.decode(1);
        return true;
      }));
      Cache c = s.cache();
      assertThrows(IllegalStateException.class, () -> s.generate("x", p, t -> c.tokens() > 0));
      c.close();
      // Another session is fine.
      // (A final event with id -1 may flush held-back text; it carries no token.)
      GenerateResult r = s.generate("x", p, t -> {
        if (t.id() >= 0) other.decode(t.id());
        return true;
      });
      assertEquals(5, r.generatedTokens());
      assertEquals(5, other.nPast());
    }
  }

  @Test
  void listenerClosingItsSessionCancels() {
    Session s = new Session(builtin);
    GenerateParams p = GenerateParams.builder().maxTokens(50).stopAtEos(false).build();
    int[] calls = {0};
    GenerateResult r = s.generate("x", p, t -> {
      if (++calls[0] == 2) s.close();
      return true;
    });
    assertEquals(StopReason.CANCELLED, r.stopReason());
    assertEquals(2, calls[0]);
    assertThrows(IllegalStateException.class, () -> s.decode(1));
    s.close();
  }

  @Test
  void progressListenerExceptionIsRethrownAndTheModelFreed() {
    String path = TestSupport.ckpt("v2lite/model.gguf").toString();
    List<Float> seen = new ArrayList<>();
    try (Model m = Model.load(path, 1, seen::add)) {
      assertTrue(m.info().nExperts() > 0);
      assertFalse(seen.isEmpty());
      assertEquals(1.0f, seen.get(seen.size() - 1), 1e-6);
    }
    int[] calls = {0};
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Model.load(path, 1, f -> {
      calls[0]++;
      throw new IllegalStateException("stop loading");
    }));
    assertEquals("stop loading", e.getMessage());
    assertEquals(1, calls[0]);
  }

  @Test
  void forgottenHandlesAreCollected() throws Exception {
    for (int i = 0; i < 200; i++) {
      Session s = new Session(builtin);
      s.prefill(new int[] {1, 2});
      s.cache();
      s.router();
    }
    System.gc();
    Thread.sleep(100);
    try (Session s = new Session(builtin)) {
      s.prefill(new int[] {1});
    }
  }
}
