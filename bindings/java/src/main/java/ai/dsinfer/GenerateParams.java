package ai.dsinfer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sampling and stopping settings for {@link Session#generate}. Immutable; start from
 * {@link #builder()}, whose values are the library's own {@code dsi_generate_default_params()}
 * (so they follow the library, not a copy kept here). Values are checked by the library at
 * generate time: a bad one is a {@link DsinferException} with INVALID_ARGUMENT.
 */
public final class GenerateParams {
  // The order of the packed arrays the JNI glue reads (see dsi_generate_params).
  static final int I_MAX_TOKENS = 0, I_TOP_K = 1, I_PENALTY_LAST_N = 2, I_STOP_AT_EOS = 3, I_TOP_LOGPROBS = 4,
      I_ADD_SPECIAL = 5, I_SEED = 6, N_INTS = 7;
  static final int F_TEMPERATURE = 0, F_TOP_P = 1, F_MIN_P = 2, F_REPETITION = 3, F_FREQUENCY = 4, F_PRESENCE = 5,
      N_FLOATS = 6;

  private final long[] ints;
  private final float[] floats;
  private final List<String> stop;

  private GenerateParams(Builder b) {
    this.ints = b.ints.clone();
    this.floats = b.floats.clone();
    this.stop = List.copyOf(b.stop);
  }

  /** The library's defaults. */
  public static GenerateParams defaults() {
    return builder().build();
  }

  /** A builder holding the library's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder(ints, floats);
    b.stop.addAll(stop);
    return b;
  }

  public int maxTokens() {
    return (int) ints[I_MAX_TOKENS];
  }

  public float temperature() {
    return floats[F_TEMPERATURE];
  }

  public int topK() {
    return (int) ints[I_TOP_K];
  }

  public float topP() {
    return floats[F_TOP_P];
  }

  public float minP() {
    return floats[F_MIN_P];
  }

  public float repetitionPenalty() {
    return floats[F_REPETITION];
  }

  public float frequencyPenalty() {
    return floats[F_FREQUENCY];
  }

  public float presencePenalty() {
    return floats[F_PRESENCE];
  }

  public int penaltyLastN() {
    return (int) ints[I_PENALTY_LAST_N];
  }

  /** The seed as the library sees it: an unsigned 64-bit value carried in a long. */
  public long seed() {
    return ints[I_SEED];
  }

  public List<String> stop() {
    return stop;
  }

  public boolean stopAtEos() {
    return ints[I_STOP_AT_EOS] != 0;
  }

  public int topLogprobs() {
    return (int) ints[I_TOP_LOGPROBS];
  }

  public boolean addSpecial() {
    return ints[I_ADD_SPECIAL] != 0;
  }

  long[] packedInts() {
    return ints;
  }

  float[] packedFloats() {
    return floats;
  }

  /** Stop strings as the NUL-terminated C strings they become; a NUL inside one would silently shorten it. */
  byte[][] packedStop() {
    byte[][] out = new byte[stop.size()][];
    for (int i = 0; i < out.length; i++) out[i] = Strings.cString(stop.get(i), "a stop string");
    return out;
  }

  /** Fluent setters over the library defaults; build() may be called more than once. */
  public static final class Builder {
    private final long[] ints;
    private final float[] floats;
    private final List<String> stop = new ArrayList<>();

    private Builder() {
      Native.check();
      ints = new long[N_INTS];
      floats = new float[N_FLOATS];
      Native.generateDefaults(ints, floats);
    }

    private Builder(long[] ints, float[] floats) {
      this.ints = ints.clone();
      this.floats = floats.clone();
    }

    /** Most tokens to generate; 0 only prefills the prompt. */
    public Builder maxTokens(int n) {
      ints[I_MAX_TOKENS] = n;
      return this;
    }

    /** 0 samples greedily. */
    public Builder temperature(float t) {
      floats[F_TEMPERATURE] = t;
      return this;
    }

    /** 0 turns top-k off. */
    public Builder topK(int k) {
      ints[I_TOP_K] = k;
      return this;
    }

    /** 1 turns top-p off. */
    public Builder topP(float p) {
      floats[F_TOP_P] = p;
      return this;
    }

    /** 0 turns min-p off. */
    public Builder minP(float p) {
      floats[F_MIN_P] = p;
      return this;
    }

    /** 1 turns it off. */
    public Builder repetitionPenalty(float p) {
      floats[F_REPETITION] = p;
      return this;
    }

    public Builder frequencyPenalty(float p) {
      floats[F_FREQUENCY] = p;
      return this;
    }

    public Builder presencePenalty(float p) {
      floats[F_PRESENCE] = p;
      return this;
    }

    /** How many recent tokens the penalties look at. */
    public Builder penaltyLastN(int n) {
      ints[I_PENALTY_LAST_N] = n;
      return this;
    }

    /** Same seed and inputs, same tokens. Read as unsigned 64 bits. */
    public Builder seed(long seed) {
      ints[I_SEED] = seed;
      return this;
    }

    /** Adds a stop string: generation ends before the text that matches it. */
    public Builder stop(String s) {
      stop.add(Objects.requireNonNull(s, "stop string"));
      return this;
    }

    /** Replaces the stop strings. */
    public Builder stop(List<String> strings) {
      List<String> copy = List.copyOf(Objects.requireNonNull(strings, "stop strings"));
      stop.clear();
      stop.addAll(copy);
      return this;
    }

    public Builder stopAtEos(boolean on) {
      ints[I_STOP_AT_EOS] = on ? 1 : 0;
      return this;
    }

    /** Alternatives reported with each token ({@link Token#topIds()}). */
    public Builder topLogprobs(int n) {
      ints[I_TOP_LOGPROBS] = n;
      return this;
    }

    /** Whether a text prompt into an empty session gets BOS. */
    public Builder addSpecial(boolean on) {
      ints[I_ADD_SPECIAL] = on ? 1 : 0;
      return this;
    }

    public GenerateParams build() {
      return new GenerateParams(this);
    }
  }
}
