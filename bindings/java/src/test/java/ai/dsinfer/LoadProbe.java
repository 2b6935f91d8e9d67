package ai.dsinfer;

/** Run in a child JVM by LibraryTest: reports how loading went, and never crashes. */
public final class LoadProbe {
  private LoadProbe() {}

  public static void main(String[] args) {
    try {
      System.out.println("loaded ABI " + Dsinfer.abiVersion());
      try (Model m = Model.builtin(); Session s = new Session(m)) {
        s.generate("x", GenerateParams.builder().maxTokens(2).build());
      }
    } catch (DsinferException e) {
      System.out.println("DsinferException " + e.status() + ": " + e.getMessage());
      try {
        Model.builtin();
      } catch (DsinferException again) {
        System.out.println("second call: " + again.status());
      }
    }
  }
}
