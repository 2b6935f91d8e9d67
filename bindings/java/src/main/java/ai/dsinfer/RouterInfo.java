package ai.dsinfer;

/** The router record's shape: nExperts is 0 for a dense model; lastTokens counts the tokens of the last forward call. */
public record RouterInfo(int nLayers, int nExperts, int topK, int lastTokens) {}
