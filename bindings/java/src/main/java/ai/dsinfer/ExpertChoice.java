package ai.dsinfer;

/** Experts a token was routed to at one layer, best first, with their weights; both empty for a dense layer. */
public record ExpertChoice(int[] experts, float[] weights) {
  public int size() {
    return experts.length;
  }
}
