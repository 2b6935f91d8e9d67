package ai.dsinfer;

/**
 * One streamed piece of a generation. id is -1 for a flush of text held back earlier (the
 * end of the output, or the text before a stop string). text is the part of the output that
 * became final with this event and may be empty; the texts of all events concatenate to
 * {@link GenerateResult#text()}. topIds/topLogprobs hold the requested alternatives, best
 * first (empty unless {@link GenerateParams.Builder#topLogprobs(int)} is set).
 */
public record Token(int id, String text, float logprob, int[] topIds, float[] topLogprobs) {}
