package ai.dsinfer;

/**
 * A finished generation. ids are the generated tokens (not the prompt, and not a token that
 * hit EOS or a stop string); text is their text, exactly the concatenation of the streamed
 * pieces.
 */
public record GenerateResult(
    int[] ids,
    String text,
    StopReason stopReason,
    int promptTokens,
    int generatedTokens,
    double prefillSeconds,
    double decodeSeconds) {}
