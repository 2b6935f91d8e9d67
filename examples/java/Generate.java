// Streams a completion from Java: java -cp dsinfer.jar:. Generate [MODEL.gguf] [PROMPT]
// Without a model it runs the built-in one (random weights: the text is noise).
import ai.dsinfer.*;

public class Generate {
  public static void main(String[] args) {
    String prompt = args.length > 1 ? args[1] : "Once upon a time";
    try (Model model = args.length > 0 ? Model.load(args[0]) : Model.builtin();
         Session session = new Session(model, 512)) {
      GenerateParams params = GenerateParams.builder().maxTokens(32).seed(42).build();
      GenerateResult r = session.generate(prompt, params, token -> {
        System.out.print(token.text());
        return true; // false cancels
      });
      System.out.printf("%n[%d tokens, stopped: %s]%n", r.generatedTokens(), r.stopReason());
    }
  }
}
