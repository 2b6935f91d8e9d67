package ai.dsinfer;

/**
 * What {@code dsi_model_get_info} reports. nCtxTrain is 0 when the file does not say;
 * nExperts and nExpertsPerToken are 0 for a dense model.
 */
public record ModelInfo(
    int nVocab,
    int nLayers,
    int nHeads,
    int nCtxTrain,
    int nExperts,
    int nExpertsPerToken,
    long cacheBytesPerToken,
    String architecture) {}
